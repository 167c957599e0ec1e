"""Which scanner backends a store accepts: recorded when it was made, checked at every use.

A vendor plugin is any package that declares an entry point, so the list of installed
plugins says nothing about which ones the office chose. A production or test store therefore
records, when it is made, the vendor backends installed then (name, version, digest of the
package's files), and refuses any other at sign-in and enrolment; only the recovery key can
make it accept others (``accept_installed_backends``, e.g. after a scanner is replaced). The
simulator and replays (judged by their class, not by what a plugin says of itself) are
accepted only by demo stores and by test stores that the test suite made through the Python
API.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from devices import Scanner
from devices.registry import (
    BUNDLED,
    BackendIdentity,
    identify_scanner,
    installed_vendor_backends,
)
from kernel.store_kind import StoreKind
from storage.connection import Connection, transaction
from storage.errors import StoreError
from storage.repos import scanner_backends
from storage.repos.scanner_backends import AcceptedBackend
from storage.store import Store
from toda_desktop.audit.signer import recovery_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import Clock, system_clock
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.recovery import RECOVERY_ACTOR

SIMULATOR_REFUSED = (
    "本番用・テスト用のデータベースでは、シミュレータや記録の再生は使用できません。"
    "実際の静脈認証スキャナを接続してください。"
)
BACKEND_REFUSED = (
    "このデータベースで認められていない静脈認証スキャナのドライバです"
    "（データベース作成時に登録されたもの以外は使用できません）。管理者に連絡してください。"
)
NONE_RECORDED = (
    "このデータベースには使用できる静脈認証スキャナが登録されていません。"
    "管理者に連絡してください（回復キーで登録します）。"
)
# The built-in simulators a store made by the test suite may accept.
TEST_SUITE_SIMULATORS = ("replay", "simulator")


class ScannerRefused(SignInError):
    """A scanner the store does not accept; ``identity`` says which one (for the log)."""

    def __init__(self, message_ja: str, identity: BackendIdentity) -> None:
        super().__init__(message_ja)
        self.identity = identity


@dataclass(frozen=True)
class ScannerRules:
    store_kind: StoreKind
    accepted: tuple[AcceptedBackend, ...]


_admitted: weakref.WeakKeyDictionary[object, BackendIdentity] = weakref.WeakKeyDictionary()


def accepted_for_new_store(
    store_kind: StoreKind, *, test_suite_simulator: bool = False
) -> tuple[AcceptedBackend, ...]:
    """What a new store records: the vendor backends installed now; the simulators only for
    a demo store, or a test store made by the test suite."""
    vendors = tuple(AcceptedBackend(b.name, b.version, b.digest, simulator=False)
                    for b in installed_vendor_backends())
    simulators = store_kind == StoreKind.DEMO or (
        store_kind == StoreKind.TEST and test_suite_simulator)
    if not simulators:
        return vendors
    return vendors + tuple(AcceptedBackend(name, "builtin", "builtin", simulator=True)
                           for name in TEST_SUITE_SIMULATORS)


def record_accepted(store: Store, backends: tuple[AcceptedBackend, ...], at: datetime) -> None:
    store.db.call(lambda conn: scanner_backends.record(conn, backends, at))


def rules_of(store: Store) -> ScannerRules:
    return ScannerRules(store.store_kind, store.db.call(scanner_backends.accepted))


def scanner_kind(rules: ScannerRules) -> StoreKind:
    """The kind to ask a scanner factory for: a test store that does not accept the
    simulator is asked for a real scanner, like a production store."""
    if rules.store_kind == StoreKind.TEST and not any(a.simulator for a in rules.accepted):
        return StoreKind.PRODUCTION
    return rules.store_kind


def admit(rules: ScannerRules, scanner: Scanner) -> BackendIdentity:
    """The scanner's identity if the store accepts it; ScannerRefused otherwise."""
    identity = identify_scanner(scanner)
    if identity.simulator:
        allowed = rules.store_kind == StoreKind.DEMO or (
            rules.store_kind == StoreKind.TEST
            and any(a.simulator and a.name == identity.name for a in rules.accepted)
        )
        if not allowed:
            raise ScannerRefused(SIMULATOR_REFUSED, identity)
    elif not any(not a.simulator for a in rules.accepted):
        raise ScannerRefused(NONE_RECORDED, identity)
    elif not any(not a.simulator and _same_backend(a, identity) for a in rules.accepted):
        raise ScannerRefused(BACKEND_REFUSED, identity)
    _admitted[scanner] = identity
    return identity


def _same_backend(accepted: AcceptedBackend, identity: BackendIdentity) -> bool:
    """Name, version and digest; a plugin bundled into the frozen application has no files to
    hash, so there name and version decide (the bundle itself is installed by the office)."""
    if (accepted.name, accepted.version) != (identity.name, identity.version):
        return False
    return identity.digest in (BUNDLED, accepted.digest)


def scanner_fields(scanner: Scanner) -> dict[str, str]:
    """The backend for an audit entry: as admitted, else as judged now (never self-told)."""
    identity = _admitted.get(scanner) or identify_scanner(scanner)
    return {"scanner": identity.name, "scanner_version": identity.version}



def accept_installed_backends(
    store_path: Path, recovery_key: str, *, clock: Clock = system_clock
) -> tuple[AcceptedBackend, ...]:
    """With the recovery key (on paper, in no account): the store accepts the vendor backends
    installed now instead of those it recorded, e.g. after the office changed its scanner or
    when the store was made on a PC without the driver. Logged with what was accepted."""
    vendors = tuple(b for b in accepted_for_new_store(StoreKind.PRODUCTION))
    if not vendors:
        raise UserFacingError(
            "静脈認証スキャナのドライバが見つかりません。ドライバを導入してから実行してください。"
        )
    try:
        store = Store.open_with_recovery_key(store_path, recovery_key)
    except StoreError as exc:
        raise UserFacingError(exc.message_ja) from None
    try:
        now = clock()

        def replace(conn: Connection) -> None:
            with transaction(conn):
                scanner_backends.forget_vendors(conn)
                scanner_backends.record(conn, vendors, now)

        store.db.call(replace)
        AuditTrail(store, clock, signer=recovery_signer(store)).record(
            RECOVERY_ACTOR, "scanner_backends_recorded",
            detail={"scanners": [f"{b.name} {b.version}" for b in vendors]})
    finally:
        store.close()
    return vendors
