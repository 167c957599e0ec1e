"""Account management for administrators: create, disable, reset, role, palm, unlock, keys.

Every call needs the ``admin`` function (the project lead and the IT administrator) and is
audit-logged. The IT administrator manages accounts and devices but sees no pupil data, and
no sequence of these calls gives it any: data keys are given only from the giver's own keys
(``complete_grants``), a reset or a re-enabled account starts with the system key alone, and
a disabled account's key slot is removed. Accounts waiting for keys are listed for the lead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from devices import GuidanceCallback, ProgressCallback, Scanner
from kernel.progress import CancelFlag
from kernel.store_kind import StoreKind
from storage.errors import NotAHolder
from storage.key_groups import SYSTEM_GROUP
from storage.repos import accounts, palms
from storage.store import Store
from toda_desktop.accounts.creation import create_account
from toda_desktop.accounts.grants import (
    give_held_keys,
    group_labels,
    holder_roles,
    key_plan,
    may_receive_from,
    rotate_or_defer,
    rotations_due,
    withdraw_extra,
)
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


@dataclass(frozen=True)
class PendingGrant:
    """An active account that does not yet hold every data key its role sees.

    ``waiting_for_owner``: an administrator holding none of the keys chose its password; its
    owner must change it before a key holder can give keys. ``can_complete``: the signed-in
    user can give at least one of the missing keys now."""

    login_id: str
    display_name: str
    role_label: str
    missing: tuple[str, ...]
    missing_labels: tuple[str, ...]
    waiting_for_owner: bool
    can_complete: bool

    @property
    def status_label(self) -> str:
        if self.waiting_for_owner:
            return "本人のパスワード変更待ち"
        return "鍵の付与待ち" if self.can_complete else "鍵を持つ職員による付与待ち"


@dataclass(frozen=True)
class DueRotations:
    """Keys waiting to be renewed because a person lost access to them. ``renewable``: those
    the signed-in user holds and so can renew now; ``holders``: the administrator roles that
    hold the others (only a holder can renew a key)."""

    labels: tuple[str, ...]
    renewable: tuple[str, ...]
    holders: tuple[str, ...]

    @property
    def others_message(self) -> str:
        """Who renews the keys the user does not hold, in a sentence (empty when none)."""
        others = [label for label in self.labels if label not in self.renewable]
        if not others:
            return ""
        who = "・".join(self.holders) or "その鍵を持つ管理者"
        return (f"「{'、'.join(others)}」の鍵は、その鍵を持つ職員（{who}）だけが"
                "更新できます。")


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

    def _log(self, action: str, login_id: str, outcome: str = "ok", **detail: object) -> None:
        self._ctx.log(action, outcome=outcome, target=f"account:{login_id}",
                      detail=dict(detail) or None)

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

    def create(self, login_id: str, display_name: str, role: str, password: str
               ) -> PendingGrant | None:
        """Returns what the new account still waits for (None: it holds all its keys)."""
        self._admin()
        actor = self._ctx.actor.login_id
        row = create_account(self._store, self._ctx.gate.policy, login_id, display_name, role,
                             password, set_by=actor, at=self._ctx.clock())
        self._log("account_created", row.login_id, role=role)
        given = self._store.keyfile.granted_groups(row.login_id) - {SYSTEM_GROUP}
        if given:
            self._log("keys_granted", row.login_id, groups=sorted(given))
        return self._pending(row)

    def set_enabled(self, login_id: str, enabled: bool, new_password: str | None = None
                    ) -> None:
        """Disabling removes the account's key slot (its password opens nothing) and rotates
        the keys it held; enabling needs a new password and starts with the system key."""
        self._admin()
        row = self._account(login_id)
        if not enabled and row.id == self._ctx.actor.account_id:
            raise UserFacingError("自分自身のアカウントは無効にできません。")
        if enabled and new_password is None:
            raise UserFacingError("有効に戻すには、新しいパスワードを設定してください。")
        if enabled and new_password is not None:
            check_password(new_password, row.login_id)
        status = "active" if enabled else "disabled"
        self._ctx.db.call(lambda c: accounts.set_status(c, row.id, status,
                                                                at=self._ctx.clock()))
        if enabled:
            assert new_password is not None
            self._store.add_account_keys(row.login_id, new_password,
                                         set_by=self._ctx.actor.login_id)
            self._log("account_enabled", row.login_id)
            self._give_held(self._account(login_id))
            return
        held = self._store.keyfile.granted_groups(row.login_id) - {SYSTEM_GROUP}
        self._store.remove_account_keys(row.login_id)
        self._log("account_disabled", row.login_id, keys_removed=sorted(held))
        self._rotate(held)

    def reset_password(self, login_id: str, new_password: str) -> None:
        """A new key pair for the new password holding only the system key: the earlier
        grants are gone until a key holder gives them again (``complete_grants``)."""
        self._admin()
        row = self._account(login_id)
        check_password(new_password, row.login_id)
        held = self._store.keyfile.granted_groups(row.login_id) - {SYSTEM_GROUP}
        self._store.add_account_keys(row.login_id, new_password,
                                     set_by=self._ctx.actor.login_id)
        self._log("password_reset", row.login_id, keys_removed=sorted(held))
        self._give_held(row)

    def change_role(self, login_id: str, role: str) -> None:
        """Keys follow the role: groups it no longer sees are revoked (and their keys
        rotated); groups it newly sees wait for a key holder (given now if that is you)."""
        self._admin()
        self._ctx.gate.policy.role(role)
        row = self._account(login_id)
        if row.id == self._ctx.actor.account_id:
            raise UserFacingError("自分自身の役割は変更できません。別の管理者に依頼してください。")
        self._ctx.db.call(lambda c: accounts.set_role(c, row.id, role, at=self._ctx.clock()))
        self._log("role_changed", row.login_id, old=row.role, new=role)
        changed = self._account(login_id)
        removed = withdraw_extra(self._store, self._ctx.gate.policy, self._ctx.registry, changed)
        if removed:
            self._log("keys_revoked", row.login_id, groups=list(removed))
            self._rotate(removed)
        self._give_held(changed)

    # -- data keys --------------------------------------------------------------------------

    def pending_grants(self) -> list[PendingGrant]:
        """Active accounts that wait for data keys, for the key holder to complete."""
        self._admin()
        return [p for row in self._ctx.db.call(accounts.all_accounts)
                if (p := self._pending(row)) is not None]

    def _pending(self, row: accounts.AccountRow) -> PendingGrant | None:
        """The account's wait for keys, or None when it holds all its role's keys."""
        keyfile = self._store.keyfile
        if row.status != "active" or not keyfile.has_account(row.login_id):
            return None
        policy = self._ctx.gate.policy
        registry = self._ctx.registry
        missing = key_plan(self._store, policy, registry, row).missing
        if not missing:
            return None
        allowed = may_receive_from(self._store, row.login_id, self._ctx.actor.login_id)
        # Set by an administrator who holds none of the keys: no one may give them
        # until the owner has chosen an own password.
        setter_holds = keyfile.slot_groups(keyfile.set_by_slot(row.login_id)) & missing
        return PendingGrant(
            login_id=row.login_id,
            display_name=row.display_name,
            role_label=policy.role(row.role).label,
            missing=tuple(sorted(missing)),
            missing_labels=group_labels(registry, missing),
            waiting_for_owner=not keyfile.set_by_self(row.login_id) and not setter_holds,
            can_complete=allowed and any(self._store.keys.holds(g) for g in missing),
        )

    def complete_grants(self, login_id: str) -> tuple[str, ...]:
        """Give the account the data keys of its role that you hold; returns the groups.

        Refused when you hold none of them, or while an administrator-chosen password has
        not been changed by its owner (whoever chose it could otherwise read the data)."""
        self._admin()
        row = self._account(login_id)
        if row.status != "active":
            raise UserFacingError("無効のアカウントには鍵を渡せません。")
        actor = self._ctx.actor.login_id
        missing = key_plan(self._store, self._ctx.gate.policy, self._ctx.registry, row).missing
        if not missing:
            return ()
        if not any(self._store.keys.holds(g) for g in missing):
            self._log("keys_granted", row.login_id, outcome="denied", reason="not_a_holder")
            raise UserFacingError(NotAHolder.message_ja)
        if not may_receive_from(self._store, row.login_id, actor):
            self._log("keys_granted", row.login_id, outcome="denied", reason="password_not_own")
            raise UserFacingError(
                "管理者が設定したパスワードのままのため、まだ鍵を渡せません。"
                "ご本人にサインインしてパスワードを変更してもらってから、もう一度お試しください。"
            )
        given = give_held_keys(self._store, self._ctx.gate.policy, self._ctx.registry, row,
                               actor)
        self._log("keys_granted", row.login_id, groups=list(given))
        return given

    def rotations_due(self) -> tuple[str, ...]:
        """Data groups whose key must be renewed by a holder (a person lost access)."""
        self._admin()
        return group_labels(self._ctx.registry, rotations_due(self._store))

    def due_rotations(self) -> DueRotations:
        """The keys due, which of them you can renew, and who holds the others."""
        self._admin()
        registry = self._ctx.registry
        due = rotations_due(self._store)
        others = [g for g in due if not self._store.keys.holds(g)]
        return DueRotations(
            labels=group_labels(registry, due),
            renewable=group_labels(registry, (g for g in due if self._store.keys.holds(g))),
            holders=holder_roles(self._ctx.gate.policy, registry, others) if others else (),
        )

    def complete_rotations(self) -> tuple[str, ...]:
        """Renew the due keys you hold; returns their labels. Refused (and logged as such)
        when keys are due but you hold none of them: only a holder can renew a key."""
        self._admin()
        due = rotations_due(self._store)
        if due and not any(self._store.keys.holds(g) for g in due):
            self._ctx.log("key_rotated", outcome="denied",
                          detail={"groups": list(due), "reason": "not_a_holder"})
            raise UserFacingError(self.due_rotations().others_message)
        return group_labels(self._ctx.registry, self._rotate(()))

    def _give_held(self, row: accounts.AccountRow) -> None:
        """A key holder acting on an account gives at once the keys it may give (logged)."""
        given = give_held_keys(self._store, self._ctx.gate.policy, self._ctx.registry, row,
                               self._ctx.actor.login_id)
        if given:
            self._log("keys_granted", row.login_id, groups=list(given))

    def _rotate(self, groups: Iterable[str]) -> tuple[str, ...]:
        """Rotate what you hold; log as due only the groups that were not due already."""
        already_due = set(rotations_due(self._store))
        rotated, deferred = rotate_or_defer(self._store, groups)
        for group in rotated:
            self._ctx.log("key_rotated", target=f"key_group:{group}")
        newly_due = [g for g in deferred if g not in already_due]
        if newly_due:
            self._ctx.log("key_rotation_due", detail={"groups": newly_due})
        return rotated

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
