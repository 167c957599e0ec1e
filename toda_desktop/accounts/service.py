"""Account management for administrators: create, disable, reset, role, palm, unlock.

Every call needs the ``admin`` function (the project lead and the IT administrator) and is
audit-logged. The IT administrator manages accounts and devices but sees no pupil data:
nothing here returns any.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devices import GuidanceCallback, ProgressCallback, Scanner
from kernel.progress import CancelFlag
from kernel.store_kind import StoreKind
from storage.repos import accounts, palms
from storage.store import Store
from toda_desktop.accounts.creation import create_account
from toda_desktop.accounts.palm import enroll_palm, present_own_palm_if_simulated
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.passwords import check_password
from toda_desktop.throttle import ThrottleBook

OpenScanner = Callable[[StoreKind, str], Scanner]  # (store kind, login ID) -> an opened scanner
STATUS_LABELS = {"active": "有効", "disabled": "無効"}


@dataclass(frozen=True)
class AccountSummary:
    login_id: str
    display_name: str
    role: str
    role_label: str
    status_label: str
    active: bool
    palm_enrolled: bool
    locked: bool


class AccountAdminService:
    """Needs the store itself (beyond the context): accounts are key-file entries too, and
    their sign-in counters and palms live beside and in it."""

    def __init__(self, context: ServiceContext, store: Store, open_scanner: OpenScanner) -> None:
        self._ctx = context
        self._store = store
        self._open_scanner = open_scanner

    # -- helpers ----------------------------------------------------------------------------

    def _admin(self) -> None:
        self._ctx.gate.require("admin")

    def _account(self, login_id: str) -> accounts.AccountRow:
        row = self._ctx.db.call(lambda c: accounts.by_login(c, login_id))
        if row is None:
            raise UserFacingError("そのログインIDのアカウントはありません。")
        return row

    def _log(self, action: str, login_id: str, **detail: object) -> None:
        self._ctx.log(action, target=f"account:{login_id}", detail=dict(detail) or None)

    def _book(self) -> ThrottleBook:
        return ThrottleBook.load(self._store.path, self._ctx.clock)

    # -- queries ----------------------------------------------------------------------------

    def list_accounts(self) -> list[AccountSummary]:
        self._admin()
        store = self._store
        rows = self._ctx.db.call(accounts.all_accounts)
        enrolled = self._ctx.db.call(palms.enrolled_accounts)
        book = self._book()
        policy = self._ctx.gate.policy
        return [
            AccountSummary(
                login_id=r.login_id,
                display_name=r.display_name,
                role=r.role,
                role_label=policy.role(r.role).label,
                status_label=STATUS_LABELS.get(r.status, r.status),
                active=r.status == "active",
                palm_enrolled=r.id in enrolled,
                locked=book.is_locked(store.keyfile.account_slot(r.login_id)),
            )
            for r in rows
        ]

    # -- changes ----------------------------------------------------------------------------

    def create(self, login_id: str, display_name: str, role: str, password: str) -> None:
        self._admin()
        row = create_account(self._store, self._ctx.gate.policy, login_id, display_name, role,
                             password, at=self._ctx.clock())
        self._log("account_created", row.login_id, role=role)

    def set_enabled(self, login_id: str, enabled: bool) -> None:
        self._admin()
        row = self._account(login_id)
        if not enabled and row.id == self._ctx.actor.account_id:
            raise UserFacingError("自分自身のアカウントは無効にできません。")
        status = "active" if enabled else "disabled"
        self._ctx.db.call(lambda c: accounts.set_status(c, row.id, status,
                                                                at=self._ctx.clock()))
        self._log("account_enabled" if enabled else "account_disabled", row.login_id)

    def reset_password(self, login_id: str, new_password: str) -> None:
        """Rewrap the data key for the account's new password (one key-file entry)."""
        self._admin()
        row = self._account(login_id)
        check_password(new_password, row.login_id)
        self._store.grant_password(row.login_id, new_password)
        self._log("password_reset", row.login_id)

    def change_role(self, login_id: str, role: str) -> None:
        self._admin()
        self._ctx.gate.policy.role(role)
        row = self._account(login_id)
        if row.id == self._ctx.actor.account_id:
            raise UserFacingError("自分自身の役割は変更できません。別の管理者に依頼してください。")
        self._ctx.db.call(lambda c: accounts.set_role(c, row.id, role, at=self._ctx.clock()))
        self._log("role_changed", row.login_id, old=row.role, new=role)

    def enroll_palm(
        self,
        login_id: str,
        on_guidance: GuidanceCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: CancelFlag | None = None,
    ) -> None:
        """Enroll (or re-enroll) with the user present at the scanner."""
        self._admin()
        row = self._account(login_id)
        scanner = self._open_scanner(self._store.store_kind, row.login_id)
        try:
            present_own_palm_if_simulated(scanner, row.login_id, scanner.info.enroll_stages)
            enroll_palm(self._store, scanner, row.id, self._ctx.actor.login_id, self._ctx.trail,
                        login_id=row.login_id,
                        on_guidance=on_guidance, on_progress=on_progress, cancel=cancel)
        finally:
            scanner.close()

    def revoke_palm(self, login_id: str) -> None:
        self._admin()
        row = self._account(login_id)
        count = self._ctx.db.call(lambda c: palms.revoke(c, row.id, at=self._ctx.clock()))
        self._log("palm_revoked", row.login_id, templates=count)

    def unlock(self, login_id: str) -> bool:
        self._admin()
        row = self._account(login_id)
        was_locked = self._book().unlock(self._store.keyfile.account_slot(row.login_id))
        self._log("account_unlocked", row.login_id, was_locked=was_locked)
        return was_locked
