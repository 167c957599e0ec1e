"""Creating staff accounts: the account row in the store plus its key pair in the key file.

The one place an account is made: by store set-up (the demo accounts) and by the
administrators' アカウント管理 (``AccountAdminService.create``, which checks ``admin`` and logs).
A new account holds the system key; the creator gives the data keys of the account's role
that the creator itself holds (an IT administrator holds none: a key holder completes them).
"""

from __future__ import annotations

from datetime import datetime

from kernel.store_kind import StoreKind
from storage.connection import Connection, transaction
from storage.keys import normalize_login
from storage.repos import accounts
from storage.store import Store
from toda_desktop.accounts.grants import give_held_keys
from toda_desktop.errors import UserFacingError
from toda_desktop.passwords import check_password
from toda_desktop.policy.model import Policy


def create_account(
    store: Store,
    policy: Policy,
    login_id: str,
    display_name: str,
    role: str,
    password: str,
    *,
    set_by: str,
    scrypt_n: int | None = None,
    demo: bool = False,
    at: datetime,
) -> accounts.AccountRow:
    """``set_by``: the login of the administrator choosing the password; ``demo``: the
    published demo password is allowed (demo stores only); ``at``: now, by the caller's
    clock."""
    policy.role(role)  # unknown roles are a programming error
    login_id = normalize_login(login_id)
    if not login_id:
        raise UserFacingError("ログインIDを入力してください。")
    if demo and store.store_kind != StoreKind.DEMO:
        raise UserFacingError("デモ用アカウントはデモ用データベースにしか作成できません。")
    if not demo:
        check_password(password, login_id)

    def insert(conn: Connection) -> accounts.AccountRow:
        with transaction(conn):
            if accounts.by_login(conn, login_id) is not None:
                raise UserFacingError("そのログインIDは既に使われています。")
            return accounts.create(conn, login_id, display_name, role, at=at)

    row = store.db.call(insert)
    store.add_account_keys(login_id, password, set_by=set_by, scrypt_n=scrypt_n)
    give_held_keys(store, policy, store.registry, row, set_by)
    return row
