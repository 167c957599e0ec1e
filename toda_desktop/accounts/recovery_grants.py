"""Giving data keys with the recovery key, when no account holds them any more.

After the only project lead's password was reset (a reset leaves the system key alone), no
account may hold the data keys: the lead then chooses an own password and gives the keys of
the role back with the recovery key (kept on paper, not by the IT administrator). Logged
under the recovery key's name.
"""

from __future__ import annotations

from pathlib import Path

from storage.errors import StoreError
from storage.repos import accounts
from storage.store import Store
from toda_desktop.accounts.grants import give_held_keys
from toda_desktop.audit.signer import recovery_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import Clock, system_clock
from toda_desktop.errors import UserFacingError
from toda_desktop.policy.service import store_policy
from toda_desktop.recovery import RECOVERY_ACTOR


def give_keys_with_recovery_key(
    store_path: Path, recovery_key: str, login_id: str, *, clock: Clock = system_clock
) -> tuple[str, ...]:
    """Give the account every data key its role sees; returns the groups given. Only to an
    active account whose password its owner chose (never one an administrator set)."""
    try:
        store = Store.open_with_recovery_key(store_path, recovery_key)
    except StoreError as exc:
        raise UserFacingError(exc.message_ja) from None
    try:
        row = store.db.call(lambda c: accounts.by_login(c, login_id))
        if row is None or row.status != "active" or not store.keyfile.has_account(row.login_id):
            raise UserFacingError("そのログインIDの有効なアカウントはありません。")
        if not store.keyfile.set_by_self(row.login_id):
            raise UserFacingError(
                "管理者が設定したパスワードのままのため、鍵を渡せません。"
                "ご本人がサインインしてパスワードを変更してから、もう一度お試しください。"
            )
        given = give_held_keys(store, store_policy(store.db), store.registry, row,
                               RECOVERY_ACTOR)
        trail = AuditTrail(store, clock, signer=recovery_signer(store))
        trail.record(RECOVERY_ACTOR, "keys_granted", target=f"account:{row.login_id}",
                     detail={"groups": list(given)})
        return given
    finally:
        store.close()
