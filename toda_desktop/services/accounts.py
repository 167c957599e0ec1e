"""Creating staff accounts: the account row in the store plus the key wrap for its password."""

from __future__ import annotations

from storage.connection import Connection, transaction
from storage.repos import accounts
from storage.store import Store
from toda_desktop.errors import UserFacingError
from toda_desktop.policy import Policy

MIN_PASSWORD_LENGTH = 8


def check_password_rules(password: str) -> None:
    """NIST SP 800-63B: length, not composition; the blocklist comes with sign-in (issue 3)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserFacingError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")


def create_account(
    store: Store,
    policy: Policy,
    login_id: str,
    display_name: str,
    role: str,
    password: str,
    *,
    scrypt_n: int | None = None,
) -> accounts.AccountRow:
    policy.role(role)  # unknown roles are a programming error
    check_password_rules(password)

    def insert(conn: Connection) -> accounts.AccountRow:
        with transaction(conn):
            if accounts.by_login(conn, login_id) is not None:
                raise UserFacingError("そのログインIDは既に使われています。")
            return accounts.create(conn, login_id, display_name, role)

    row = store.db.call(insert)
    store.grant_password(login_id, password, scrypt_n)
    return row
