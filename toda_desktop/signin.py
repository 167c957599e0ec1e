"""Sign-in in two steps: ID and password unlock the store, then the palm opens the session.

The password step is throttled before the store is touched (the counters live beside it,
under a file lock held from reading them through the key derivation to saving them) and the
counters are compared with their copy inside the store right after unlock: a file deleted,
damaged, reset or put back from an older copy refuses the sign-in and locks the account
(``toda_desktop.signin_record``). The palm step compares a fresh capture with the account's
enrolled template at a requested false-match rate of 1 in 10,000, on a scanner backend the store
accepts (``toda_desktop.scanner_admission``): a demo store uses the simulator, which presents
the signed-in user's own enrolled palm unless a test scripts otherwise; production and test
stores need a vendor scanner recorded when the store was made. When a production scanner is
broken, a one-off recovery grant (made with the recovery key) lets one account in with its
password alone, once, and it is logged.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from devices import DeviceEvent, GuidanceCallback, ProgressCallback, Scanner, ScannerError
from kernel.progress import CancelFlag
from kernel.store_kind import StoreKind
from storage.connection import Connection, transaction
from storage.errors import StoreError, WrongCredentials
from storage.keys import KeyFile, normalize_login
from storage.registry import Registry
from storage.repos import accounts, palms, recovery
from storage.store import Store
from toda_desktop.accounts.palm import (
    NOT_ENROLLED,
    enroll_palm,
    present_own_palm_if_simulated,
    verify_palm,
)
from toda_desktop.audit.signer import account_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import Clock
from toda_desktop.errors import SignInError
from toda_desktop.policy.model import Policy
from toda_desktop.policy.service import store_policy
from toda_desktop.scanner_admission import (
    ScannerRefused,
    ScannerRules,
    rules_of,
    scanner_fields,
)
from toda_desktop.signin_record import BREAK_MESSAGE, compare, mirror_into, settle_break
from toda_desktop.throttle import ThrottleBook

Session = TypeVar("Session")  # what the host opens once the palm proved who is there
Opened = TypeVar("Opened", covariant=True)


class SignInHost(Protocol[Opened]):
    """What the sign-in needs of the application that hosts it (the composition root
    implements it; this module does not import the root)."""

    clock: Clock
    policy: Policy  # replaced by the store's own map once the password opened the store
    scanner_rules: ScannerRules | None  # the store's accepted scanners, set the same way
    registry: Registry
    store_path: Path

    def open_scanner(self, store_kind: StoreKind, login_id: str) -> Scanner: ...

    def open_session(self, store: Store, account: accounts.AccountRow, method: str,
                     detail: dict[str, object]) -> Opened: ...

GENERIC_FAILURE = "ログインIDまたはパスワードが正しくありません。"


def flush_failures(store: Store, book: ThrottleBook, audit: AuditTrail) -> None:
    """Copy failures counted before unlock into the audit log, naming known accounts."""
    events = book.take_pending()
    if not events:
        return
    logins = {
        store.keyfile.account_slot(row.login_id): row.login_id
        for row in store.db.call(accounts.all_accounts)
    }
    for event in events:
        actor = logins.get(str(event.get("slot")), "（不明なID）")
        audit.record(
            actor,
            str(event.get("event", "sign_in_failed")),
            outcome="failed",
            detail={k: v for k, v in event.items() if k != "slot"},
        )


class PasswordAccepted(Generic[Session]):
    """Between the two steps: the store is open, the session is not yet granted."""

    def __init__(
        self, app: SignInHost[Session], store: Store, account: accounts.AccountRow,
        book: ThrottleBook,
    ) -> None:
        self._app = app
        self._store = store
        self._account = account
        self._book = book
        self._audit = AuditTrail(store, app.clock, signer=account_signer(store, account.login_id))
        self._palm_key = store.palm_template_key()
        self._scanner: Scanner | None = None
        self.scanner_problem: str | None = None
        self.login_id = account.login_id
        self.display_name = account.display_name
        self.role_label = app.policy.role(account.role).label
        self.needs_enrollment = (
            store.db.call(lambda c: palms.active(c, self._palm_key, account.id)) is None
        )
        self.may_self_enroll = self.needs_enrollment and app.policy.role(account.role).may("admin")
        self.recovery_available = (
            store.db.call(lambda c: recovery.usable(c, account.id, app.clock())) is not None
        )
        self._done = False

    # -- the scanner ------------------------------------------------------------------------

    def scanner(self) -> Scanner:
        """The store's scanner, opened on first use (again after it was unplugged);
        SignInError if there is none."""
        if self._scanner is not None and not self._scanner.is_open:
            self._close_scanner()
        if self._scanner is None:
            try:
                self._scanner = self._app.open_scanner(self._store.store_kind, self.login_id)
            except ScannerRefused as exc:
                self.scanner_problem = exc.message_ja
                self._audit.record(self.login_id, "scanner_refused", outcome="denied",
                                   detail={"scanner": exc.identity.name,
                                           "scanner_version": exc.identity.version})
                raise
            except SignInError as exc:
                self.scanner_problem = exc.message_ja
                raise
            self._scanner.add_listener(self._device_event)
        return self._scanner

    def _device_event(self, event: DeviceEvent) -> None:
        """Plugging and unplugging the scanner is logged (hand movements are not)."""
        if event in (DeviceEvent.CONNECTED, DeviceEvent.REMOVED) and not self._store.closed:
            self._audit.record(self.login_id, "device_event", detail={"event": event.value})

    # -- step two ---------------------------------------------------------------------------

    def verify_palm(
        self, on_guidance: GuidanceCallback | None = None, cancel: CancelFlag | None = None
    ) -> Session:
        if self.needs_enrollment:
            raise SignInError(NOT_ENROLLED)
        scanner = self.scanner()
        fmr = verify_palm(self._store, scanner, self._account.id, self.login_id,
                          self._book, self._audit, on_guidance=on_guidance, cancel=cancel)
        return self._grant("palm", {"fmr_achieved": fmr, **scanner_fields(scanner)})

    def enroll_own_palm(
        self,
        on_guidance: GuidanceCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: CancelFlag | None = None,
    ) -> Session:
        """First sign-in of an administrator without a palm (e.g. a new production store)."""
        if not self.may_self_enroll:
            raise SignInError("手のひら静脈の登録は管理者が行います。管理者に依頼してください。")
        scanner = self.scanner()
        present_own_palm_if_simulated(scanner, self.login_id, scanner.info.enroll_stages)
        enroll_palm(self._store, scanner, self._account.id, self.login_id, self._audit,
                    login_id=self.login_id,
                    on_guidance=on_guidance, on_progress=on_progress, cancel=cancel)
        return self._grant("palm_enrolled", dict(scanner_fields(scanner)))

    def use_recovery_grant(self) -> Session:
        """The one-off password-only sign-in granted with the recovery key."""
        now = self._app.clock()

        def take(conn: Connection) -> recovery.GrantRow | None:
            with transaction(conn):
                grant = recovery.usable(conn, self._account.id, now)
                if grant is not None:
                    recovery.consume(conn, grant.id, now)
                return grant

        grant = self._store.db.call(take)
        if grant is None:
            raise SignInError("有効な回復サインインの許可がありません。")
        return self._grant("recovery", {"grant_id": grant.id, "reason": grant.reason})

    def cancel(self) -> None:
        """Give up before the session starts: close the scanner and lock the store again."""
        if not self._done:
            self._close_scanner()
            self._store.close()
            self._done = True

    # -- internals --------------------------------------------------------------------------

    def _close_scanner(self) -> None:
        if self._scanner is not None:
            self._scanner.remove_listener(self._device_event)
            with contextlib.suppress(ScannerError):
                self._scanner.close()
            self._scanner = None

    def _grant(self, method: str, detail: dict[str, object]) -> Session:
        self._done = True
        self._close_scanner()
        return self._app.open_session(self._store, self._account, method, detail)


def start_sign_in(
    app: SignInHost[Session], login_id: str, password: str
) -> PasswordAccepted[Session]:
    """Step one: throttle check, unlock with the password, compare the counters, check the
    account. The counter file stays locked until the attempt is counted, so that parallel
    attempts each count."""
    store_path: Path = app.store_path
    try:
        keyfile = KeyFile.load(store_path)
    except StoreError as exc:
        raise SignInError(exc.message_ja) from None
    slot = keyfile.account_slot(login_id)
    with ThrottleBook.locked(store_path, app.clock) as book:
        return _attempt(app, book, slot, login_id, password)


def _attempt(
    app: SignInHost[Session], book: ThrottleBook, slot: str, login_id: str, password: str
) -> PasswordAccepted[Session]:
    """One password attempt, with the counter file held."""
    store_path: Path = app.store_path
    book.check_allowed(slot)
    try:
        store = Store.open(store_path, login_id, password, registry=app.registry)
    except WrongCredentials:
        book.record_failure(slot, "password")
        if book.is_locked(slot):
            raise SignInError(
                "失敗が続いたため、このアカウントはロックされました。管理者に解除を依頼してください。"
            ) from None
        raise SignInError(GENERIC_FAILURE) from None
    except StoreError as exc:
        raise SignInError(exc.message_ja) from None
    try:
        return _unlocked(app, store, book, slot, login_id)
    except BaseException:
        store.close()
        raise


def _unlocked(
    app: SignInHost[Session], store: Store, book: ThrottleBook, slot: str, login_id: str
) -> PasswordAccepted[Session]:
    """After the password opened the store (the counter file still locked)."""
    # The map in force is the store's own (the project lead may have edited it).
    app.policy = store_policy(store.db)
    audit = AuditTrail(store, app.clock, signer=account_signer(store, login_id))
    found = compare(store, book)
    book.mirror = mirror_into(store, app.clock)
    if found is not None:
        settle_break(book, found, slot)
        flush_failures(store, book, audit)
        audit.record(normalize_login(login_id), "signin_record_break", outcome="denied",
                     detail={"reason": found.reason, "failures_lost": found.failures_lost})
        raise SignInError(BREAK_MESSAGE)
    book.record_success(slot, "password")
    flush_failures(store, book, audit)
    app.scanner_rules = rules_of(store)
    account = store.db.call(lambda c: accounts.by_login(c, normalize_login(login_id)))
    if account is None or account.status != "active":
        audit.record(normalize_login(login_id), "sign_in", outcome="denied",
                     detail={"reason": "account_inactive"})
        raise SignInError("このアカウントは使用できません。管理者に連絡してください。")
    return PasswordAccepted(app, store, account, book)
