"""The composition root: one place that builds the store, the services and the devices.

The GUI (``ui``) and the command line call ``open_application`` and pass the result down;
no module looks up a global connection. Before sign-in the store is locked: only the key
file's public part (store kind, demo accounts) is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from storage.errors import StoreError, WrongCredentials
from storage.registry import Registry, default_registry
from storage.repos import accounts
from storage.store import Store
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.models import DemoAccount, IntegrityState, Overview, Session, StoreHeader
from toda_desktop.policy import Policy, default_policy
from toda_desktop.services.audit_trail import AuditTrail
from toda_desktop.services.audit_view import AuditViewService
from toda_desktop.services.overview import OverviewService

Progress = Callable[[float], None]
CancelFlag = Callable[[], bool]


def read_header(store_path: Path) -> StoreHeader:
    """The store's public facts, readable without a key; raises UserFacingError."""
    try:
        keyfile = Store.read_keyfile(store_path)
    except StoreError as exc:
        raise UserFacingError.from_store(exc) from None
    demo = tuple(
        DemoAccount(
            login_id=a["login_id"],
            password=a["password"],
            display_name=a["display_name"],
            role_label=a["role_label"],
        )
        for a in keyfile.demo_accounts
    ) if keyfile.store_kind == "demo" else ()
    return StoreHeader(path=str(store_path), store_kind=keyfile.store_kind, demo_accounts=demo)


class SignedIn:
    """What a signed-in user works with: the unlocked store and the services over it."""

    def __init__(self, store: Store, session: Session, policy: Policy, registry: Registry) -> None:
        self.store = store
        self.session = session
        self.policy = policy
        self.registry = registry
        self.audit = AuditTrail(store)
        self._overview = OverviewService(store, registry, self.audit)
        self.audit_view = AuditViewService(store, policy, self.audit)

    def may(self, function: str) -> bool:
        """For the UI to hide what the role cannot do; services still enforce it."""
        return self.policy.role(self.session.role).may(function)

    def overview(self) -> Overview:
        return self._overview.overview(self.session)

    def check_integrity(
        self, progress: Progress | None = None, cancel: CancelFlag | None = None
    ) -> IntegrityState:
        return self._overview.check_integrity(self.session, progress, cancel)

    def sign_out(self) -> None:
        if self.store.closed:
            return
        try:
            self.audit.record(self.session.login_id, "sign_out")
        except StoreError:
            pass  # a damaged, read-only store cannot log; closing it is still right
        finally:
            self.store.close()


class Application:
    """A store chosen but not yet unlocked."""

    def __init__(
        self,
        store_path: Path,
        *,
        registry: Registry | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.store_path = store_path
        self.registry = registry or default_registry()
        self.policy = policy or default_policy()
        self.header = read_header(store_path)
        self.current: SignedIn | None = None

    def sign_in(self, login_id: str, password: str) -> SignedIn:
        """ID and password unlock the store; the account must exist and be active."""
        try:
            store = Store.open(self.store_path, login_id, password, registry=self.registry)
        except WrongCredentials:
            raise SignInError("ログインIDまたはパスワードが正しくありません。") from None
        except StoreError as exc:
            raise SignInError(exc.message_ja) from None
        try:
            session = self._session_for(store, login_id)
        except BaseException:
            store.close()
            raise
        signed = SignedIn(store, session, self.policy, self.registry)
        signed.audit.record(session.login_id, "sign_in", detail={"role": session.role})
        self.current = signed
        return signed

    def _session_for(self, store: Store, login_id: str) -> Session:
        row = store.db.call(lambda conn: accounts.by_login(conn, login_id))
        if row is None or row.status != "active":
            AuditTrail(store).record(login_id, "sign_in", outcome="denied_account")
            raise SignInError("このアカウントは使用できません。管理者に連絡してください。")
        role = self.policy.role(row.role)
        return Session(
            account_id=row.id,
            login_id=row.login_id,
            display_name=row.display_name,
            role=row.role,
            role_label=role.label,
            started_at=datetime.now().replace(microsecond=0),
        )

    def close(self) -> None:
        if self.current is not None:
            self.current.sign_out()
            self.current = None


def open_application(store_path: Path) -> Application:
    """Build the application for a store; raises UserFacingError if it cannot be used."""
    return Application(store_path)
