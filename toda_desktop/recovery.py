"""One-off password-only sign-in for when the palm scanner is broken.

The project lead opens the store with the recovery key (held on paper, not in any account)
and grants one account a single sign-in without the palm, valid for a few hours. The grant,
its use and its reason are in the audit log and visible in the audit view.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from storage import audit
from storage.connection import Connection, transaction
from storage.errors import StoreError
from storage.repos import accounts, recovery
from storage.store import Store
from toda_desktop.audit.signer import recovery_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import Clock, system_clock
from toda_desktop.errors import UserFacingError

MAX_HOURS = 72
RECOVERY_ACTOR = audit.RECOVERY_SIGNER  # the actor and signer of a recovery-key session


def grant_recovery_sign_in(
    store_path: Path,
    recovery_key: str,
    login_id: str,
    reason: str,
    *,
    hours: float = 24,
    clock: Clock = system_clock,
) -> datetime:
    """Record the grant; returns when it expires."""
    if not reason.strip():
        raise UserFacingError("理由を入力してください（監査ログに記録されます）。")
    if not 0 < hours <= MAX_HOURS:
        raise UserFacingError(f"有効時間は{MAX_HOURS}時間以内で指定してください。")
    try:
        store = Store.open_with_recovery_key(store_path, recovery_key)
    except StoreError as exc:
        raise UserFacingError(exc.message_ja) from None
    try:
        now = clock()
        expires = now + timedelta(hours=hours)

        def write(conn: Connection) -> int:
            with transaction(conn):
                row = accounts.by_login(conn, login_id)
                if row is None or row.status != "active":
                    raise UserFacingError("そのログインIDの有効なアカウントはありません。")
                return recovery.grant(conn, row.id, now, expires, reason.strip())

        grant_id = store.db.call(write)
        AuditTrail(store, clock, signer=recovery_signer(store)).record(
            RECOVERY_ACTOR, "recovery_granted", target=f"account:{login_id}",
            detail={"grant_id": grant_id, "expires_at": expires.isoformat(timespec="minutes"),
                    "reason": reason.strip()},
        )
        return expires
    finally:
        store.close()
