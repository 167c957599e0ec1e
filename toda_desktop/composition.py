"""The composition root: one place that builds the store, the services and the devices.

The GUI (``ui``) and the command line call ``open_application`` and pass the result down;
no module looks up a global connection. Before sign-in the store is locked: only the key
file's public part (store kind, demo accounts) is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices import GuidanceCallback, Scanner, ScannerError, Simulator, scanner_for_store
from kernel.progress import CancelFlag, Progress
from kernel.store_kind import StoreKind
from storage.errors import KeysRenewed, StoreError
from storage.registry import DatasetKind, Registry, default_registry
from storage.repos.accounts import AccountRow
from storage.store import Store
from toda_desktop.accounts.key_rotation import KeyRotationService
from toda_desktop.accounts.own_password import OwnPasswordService
from toda_desktop.accounts.palm import verify_palm
from toda_desktop.accounts.service import AccountAdminService
from toda_desktop.audit.service import AuditViewService
from toda_desktop.audit.signer import account_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.backup.service import BackupService
from toda_desktop.cases.service import CaseService
from toda_desktop.clipboard import ClipboardService
from toda_desktop.clock import Clock, stamp, system_clock
from toda_desktop.context import ServiceContext
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.export_purpose.service import ExportPurposeService
from toda_desktop.extraction.service import ExtractionService
from toda_desktop.gate import Gate
from toda_desktop.header import read_header
from toda_desktop.idle_lock import DEFAULT_IDLE, DEFAULT_MAX, IdleLock, LockState
from toda_desktop.importing.service import ImportingService
from toda_desktop.karte.service import KarteService
from toda_desktop.models import IntegrityState, Overview, SignedInUser
from toda_desktop.overview.service import OverviewService
from toda_desktop.overview.start import StartOfDayService
from toda_desktop.policy.model import Policy, default_policy
from toda_desktop.policy.service import PolicyAdminService
from toda_desktop.printing.service import PrintService
from toda_desktop.records.service import RecordsService
from toda_desktop.register.service import RegisterService
from toda_desktop.review.service import ReviewService
from toda_desktop.scanner_admission import ScannerRefused, ScannerRules, admit, scanner_kind
from toda_desktop.search.audit_words import SearchWordsCheck
from toda_desktop.search.service import SearchService
from toda_desktop.service_calls import guard_calls
from toda_desktop.signin import PasswordAccepted, start_sign_in
from toda_desktop.throttle import ThrottleBook

if TYPE_CHECKING:
    from toda_desktop.research.service import ResearchService
    from toda_desktop.retention.service import RetentionService
    from toda_desktop.risk.service import RiskService
    from toda_desktop.school_karte.service import SchoolKarteService



class SignedIn:
    """What a signed-in user works with: the unlocked store and the services over it.

    Each service is built here with the session's ``ServiceContext`` (and any collaborator
    it truly needs); services never see this object."""

    def __init__(
        self,
        app: Application,
        store: Store,
        user: SignedInUser,
        account_id: int,
    ) -> None:
        self.app = app
        self.store = store
        self.user = user
        self.account_id = account_id
        self.policy = app.policy
        self.registry = app.registry
        self.audit = AuditTrail(store, app.clock, signer=account_signer(store, user.login_id))
        self.idle_lock = IdleLock(
            clock=app.clock,
            started_at=app.clock(),
            idle_limit=app.idle_limit,
            max_length=app.max_session,
        )
        # The gate asks the idle lock on every call: a locked or expired session is refused
        # by the services themselves, not only hidden by the window.
        self.gate = Gate(app.policy, user.role, app.registry, self._log_denied,
                         session=self._session_state, held_kinds=store.held_kinds)
        self.context = ServiceContext(db=store.db, registry=app.registry, gate=self.gate,
                                      actor=user, clock=app.clock, trail=self.audit)
        self._lock_logged = False
        self._renewal_logged = False
        context = self.context
        # guard_calls: the session is checked at a call's first question to the gate; a
        # call already running when the lock falls completes.
        self._overview = guard_calls(OverviewService(context, store))
        # データ概要's 今日の確認 (issue 16), with the cases' reviews due (支援の見直し, issue 14).
        self.start_of_day = guard_calls(StartOfDayService(
            context, reviews_due=self._reviews_due_today))
        self.audit_view = guard_calls(AuditViewService(context))
        self.account_admin = guard_calls(AccountAdminService(context, store, app.open_scanner))
        self.records = guard_calls(RecordsService(context))
        self.policy_admin = guard_calls(PolicyAdminService(context, store))
        self.own_password = guard_calls(OwnPasswordService(context, store, app.open_scanner))
        self.key_rotation = guard_calls(KeyRotationService(context, store))
        self.importing = guard_calls(ImportingService(context))
        self.review = guard_calls(ReviewService(context))
        self.register = guard_calls(RegisterService(context))  # 個人情報ファイル簿
        self.search = guard_calls(SearchService(context))
        self.search_words = guard_calls(SearchWordsCheck(context))  # issue 13: audit check
        self.karte = guard_calls(KarteService(context))
        self.extraction = guard_calls(ExtractionService(context))
        self.backup = guard_calls(BackupService(context, store))
        self.export_purposes = guard_calls(ExportPurposeService(context))
        self.printing = guard_calls(PrintService(context))  # restricted printing (issue 14)
        self.cases = guard_calls(CaseService(context))  # 支援ケース (issue 14)
        self.clipboard = guard_calls(ClipboardService(context))  # Ctrl+C (issue 16)

    def _reviews_due_today(self) -> int | None:
        """Reviews due today or overdue in the cases the user sees; None without a case
        domain (the card is then not shown)."""
        if not self.cases.domains():
            return None
        return self.cases.reviews_due_count()

    @cached_property
    def risk(self) -> RiskService:
        """Built on first use: it brings scikit-learn, which commands such as ``info`` and
        ``check`` (and the window before sign-in) need not load."""
        from toda_desktop.risk.service import RiskService

        return guard_calls(RiskService(self.context))

    @cached_property
    def research(self) -> ResearchService:
        """Built on first use: its Parquet files bring pyarrow (issue 13)."""
        from toda_desktop.research.service import ResearchService

        return guard_calls(ResearchService(self.context))

    def _session_state(self) -> LockState:
        """The idle lock's state; refused outright (logged once) when another session
        renewed a data key this one still holds in its old form: sign in again."""
        if self.store.keys_renewed_elsewhere():
            if not self._renewal_logged:
                self._renewal_logged = True
                self._log_denied("session", "keys_renewed")
            raise UserFacingError(KeysRenewed.message_ja)
        return self.idle_lock.state()

    @cached_property
    def school_karte(self) -> SchoolKarteService:
        """学校カルテ (issue 15); built on first use (statsmodels for its cross-check)."""
        from toda_desktop.school_karte.service import SchoolKarteService

        return guard_calls(SchoolKarteService(self.context))

    @cached_property
    def retention(self) -> RetentionService:
        """Retention plans, their approval and the purge (issue 13)."""
        from toda_desktop.retention.service import RetentionService

        return guard_calls(RetentionService(self.context, self.store))

    def _log_denied(self, target: str, reason: str | None = None) -> None:
        self.context.log("permission_denied", outcome="denied", target=target,
                         detail=None if reason is None else {"reason": reason})

    def may(self, function: str) -> bool:
        """For the UI to hide what the role cannot do; services still enforce it."""
        return self.gate.may(function)

    def require(self, function: str) -> None:
        """Enforce the permission map (for the command line); a refusal is logged."""
        self.gate.require(function)

    def visible_kinds(self) -> tuple[DatasetKind, ...]:
        """The dataset kinds within the role's need to know (the map's domains)."""
        return self.gate.visible_kinds()

    def overview(self) -> Overview:
        return self._overview.overview()

    def check_integrity(
        self, progress: Progress | None = None, cancel: CancelFlag | None = None
    ) -> IntegrityState:
        return self._overview.check_integrity(progress, cancel)

    # -- idle lock --------------------------------------------------------------------------

    def lock_state(self) -> LockState:
        return self.idle_lock.state()

    def lock(self) -> None:
        """Hide the session (idle or by the user); logged once per lock."""
        self.idle_lock.lock()
        if not self._lock_logged:
            self._lock_logged = True
            self.context.log("session_locked")

    def resume_with_palm(
        self, on_guidance: GuidanceCallback | None = None, cancel: CancelFlag | None = None
    ) -> None:
        """Unlock after idle: the palm again (the password alone is not enough)."""
        if self.idle_lock.state() is LockState.EXPIRED:
            raise SignInError("利用時間の上限に達しました。もう一度サインインしてください。")
        scanner = self.app.open_scanner(self.store.store_kind, self.user.login_id)
        try:
            book = ThrottleBook.load(self.store.path, self.app.clock)
            verify_palm(self.store, scanner, self.account_id, self.user.login_id, book,
                        self.audit, on_guidance=on_guidance, cancel=cancel)
        finally:
            scanner.close()
        self.idle_lock.resume()
        self._lock_logged = False
        self.context.log("session_resumed")

    def sign_out(self) -> None:
        if self.store.closed:
            return
        try:
            self.context.log("sign_out")
            self.audit.copy_outside()  # never raises: a folder out of reach is logged
        except StoreError:
            pass  # a damaged, read-only store cannot log; closing it is still right
        finally:
            self.store.close()


PendingSignIn = PasswordAccepted[SignedIn]  # the password accepted; the palm still to come

ScannerFactory = Callable[[StoreKind], Scanner]


DEMO_CAPTURE_SECONDS = 0.8


def default_scanner_factory(store_kind: StoreKind) -> Scanner:
    """Demo stores (and test stores the test suite made): the simulator; production and
    other test stores: the installed vendor scanner (``open_scanner`` says which kind to ask
    for, and checks that the store accepts what it gets).

    On a demo store a capture takes a little time, so that people see the guidance."""
    if store_kind == StoreKind.DEMO:
        return scanner_for_store(store_kind, capture_s=DEMO_CAPTURE_SECONDS)
    return scanner_for_store(store_kind)


class Application:
    """A store chosen but not yet unlocked."""

    def __init__(
        self,
        store_path: Path,
        *,
        registry: Registry | None = None,
        policy: Policy | None = None,
        scanner_factory: ScannerFactory = default_scanner_factory,
        clock: Clock = system_clock,
        idle_limit: timedelta = DEFAULT_IDLE,
        max_session: timedelta = DEFAULT_MAX,
    ) -> None:
        self.store_path = store_path
        self.registry = registry or default_registry()
        self.policy = policy or default_policy()
        self.scanner_factory = scanner_factory
        self.clock = clock
        self.idle_limit = idle_limit
        self.max_session = max_session
        self.header = read_header(store_path)
        self.current: SignedIn | None = None
        self.scanner_rules: ScannerRules | None = None  # the store's, once it is unlocked

    def open_scanner(self, store_kind: StoreKind, login_id: str) -> Scanner:
        """A scanner the unlocked store accepts (sign-in, enrolment, resume after idle)."""
        if self.scanner_rules is None:
            raise SignInError("先にログインIDとパスワードでサインインしてください。")
        try:
            scanner = self.scanner_factory(scanner_kind(self.scanner_rules))
            admit(self.scanner_rules, scanner)
            scanner.open()
        except ScannerError as exc:
            raise SignInError(exc.message_ja) from None
        except ScannerRefused as exc:
            if self.current is not None:  # an enrolment or a resume (sign-in logs its own)
                self.current.context.log("scanner_refused", outcome="denied",
                                         detail={"scanner": exc.identity.name,
                                                 "scanner_version": exc.identity.version})
            raise
        if isinstance(scanner, Simulator):
            scanner.default_subject = login_id
        return scanner

    def start_sign_in(self, login_id: str, password: str) -> PendingSignIn:
        """Step one: ID and password. Then ``verify_palm`` on the result (step two)."""
        return start_sign_in(self, login_id, password)

    def sign_in(self, login_id: str, password: str) -> SignedIn:
        """Both steps without a screen (command line): password, then the palm (an
        administrator's first sign-in enrolls it)."""
        pending = self.start_sign_in(login_id, password)
        try:
            if pending.needs_enrollment and pending.may_self_enroll:
                return pending.enroll_own_palm()
            return pending.verify_palm()
        except BaseException:
            pending.cancel()
            raise

    def open_session(
        self, store: Store, account: AccountRow, method: str, detail: dict[str, object]
    ) -> SignedIn:
        """Step three, after the palm (or a recovery grant) proved who is there: the session
        with its services; logged as the sign-in."""
        role = self.policy.role(account.role)
        user = SignedInUser(
            account_id=account.id,
            login_id=account.login_id,
            display_name=account.display_name,
            role=account.role,
            role_label=role.label,
            started_at=stamp(self.clock),
        )
        signed = SignedIn(self, store, user, account.id)
        action = "recovery_sign_in" if method == "recovery" else "sign_in"
        signed.context.log(action, detail={"role": user.role, "method": method, **detail})
        from toda_desktop.research.keys import prepare_research_keys  # issue 13

        prepare_research_keys(signed.context, store)
        from toda_desktop.audit.reader_key import prepare_audit_reader

        prepare_audit_reader(signed.context, store)
        self.current = signed
        return signed

    def close(self) -> None:
        if self.current is not None:
            self.current.sign_out()
            self.current = None


def open_application(store_path: Path, **options: Any) -> Application:
    """Build the application for a store; raises UserFacingError if it cannot be used."""
    return Application(store_path, **options)
