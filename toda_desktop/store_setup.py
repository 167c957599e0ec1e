"""Creating stores of the three kinds: production, demo and test.

Production and test stores start empty with the project lead as the first account; a demo
store holds the generated city and one demo account per role of the permission map. The kind
is written inside the encrypted store (and, for display before sign-in, in the key file).

A new store also records the scanner backends it accepts (``toda_desktop.scanner_admission``)
and starts its sign-in counter file together with the copy inside. The command line always
makes stores at the full key-derivation cost; a cheaper ``scrypt_n`` exists only for the test
suite, through this Python API, and a test store made that way is also the only non-demo store
that accepts the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devices import Simulator, SimulatorConfig
from kernel.progress import CancelFlag, Progress
from kernel.store_kind import StoreKind
from storage import keys
from storage.errors import StoreError
from storage.repos import accounts
from storage.store import Store, remove_store_files
from toda_desktop.accounts.creation import create_account
from toda_desktop.accounts.palm import enroll_palm, present_own_palm_if_simulated
from toda_desktop.audit.signer import account_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import system_clock
from toda_desktop.errors import UserFacingError
from toda_desktop.passwords import check_password
from toda_desktop.policy.model import Policy, default_policy
from toda_desktop.scanner_admission import accepted_for_new_store, record_accepted
from toda_desktop.signin_record import mirror_into
from toda_desktop.throttle import ThrottleBook

FIRST_ROLE = "project_lead"
# Shown on the demo login screen on purpose; demo stores hold only fictitious data.
DEMO_PASSWORD = "toda-demo-2026"  # noqa: S105
# One demo account per role of the map; the login id says the role.
DEMO_LOGINS = {
    "project_lead": ("demo-lead", "デモ 総括"),
    "director": ("demo-director", "デモ 室長"),
    "section_chief": ("demo-chief", "デモ 課長"),
    "center_director": ("demo-center", "デモ 所長"),
    "data_analyst": ("demo-analyst", "デモ 分析"),
    "liaison": ("demo-liaison", "デモ 調整"),
    "truancy_support": ("demo-truancy", "デモ 不登校支援"),
    "bullying_support": ("demo-bullying", "デモ いじめ対策"),
    "it_admin": ("demo-it", "デモ 情報管理"),
}


@dataclass(frozen=True)
class CreatedStore:
    store: Store
    recovery_key: str


def create_empty_store(
    path: Path,
    store_kind: StoreKind,
    login_id: str,
    password: str,
    display_name: str = "事業全体総括職員",
    *,
    scrypt_n: int = keys.DEFAULT_SCRYPT_N,
    test_suite_simulator: bool | None = None,
) -> CreatedStore:
    """A production or test store with its first account (the project lead).

    ``test_suite_simulator``: whether a test store accepts the simulator; by default only a
    test store made below the full key-derivation cost, which only the test suite does."""
    if store_kind != StoreKind.DEMO:
        check_password(password, login_id)
    try:
        store, recovery_key = Store.create(
            path, store_kind, login_id, password, created_at=system_clock(), scrypt_n=scrypt_n
        )
    except StoreError as exc:
        raise UserFacingError.from_store(exc) from None
    try:
        store.db.call(lambda conn: accounts.create(conn, login_id, display_name, FIRST_ROLE,
                                                   at=system_clock()))
        if test_suite_simulator is None:
            test_suite_simulator = scrypt_n < keys.DEFAULT_SCRYPT_N
        accepted = accepted_for_new_store(store_kind, test_suite_simulator=test_suite_simulator)
        record_accepted(store, accepted, system_clock())
        _start_signin_record(store)
        # The first entry: it registers the first account's and the recovery key's public
        # keys, which every later signature is checked against.
        AuditTrail(store, signer=account_signer(store, login_id)).record(
            keys.normalize_login(login_id), "store_created",
            detail={"kind": store_kind,
                    "scanners": [f"{b.name} {b.version}" for b in accepted]},
        )
    except BaseException:
        store.close()
        remove_store_files(path)
        raise
    return CreatedStore(store, recovery_key)


def _start_signin_record(store: Store) -> None:
    """A fresh counter file (whatever an earlier store at this path left) and its copy."""
    with ThrottleBook.locked(store.path, system_clock) as book:
        book.mirror = mirror_into(store, system_clock)
        book.adopt({})


def _enroll_demo_palms(store: Store, seed: int) -> None:
    """Every demo account gets a simulated palm (subject = its login id)."""
    audit = AuditTrail(store, signer=account_signer(store, DEMO_LOGINS[FIRST_ROLE][0]))
    with Simulator(SimulatorConfig(seed=seed)) as scanner:
        for row in store.db.call(accounts.all_accounts):
            present_own_palm_if_simulated(scanner, row.login_id, scanner.info.enroll_stages)
            enroll_palm(store, scanner, row.id, DEMO_LOGINS[FIRST_ROLE][0], audit,
                        login_id=row.login_id)


def create_demo_store(
    path: Path,
    *,
    seed: int = 42,
    small: bool = False,
    scrypt_n: int = keys.DEFAULT_SCRYPT_N,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    policy: Policy | None = None,
) -> CreatedStore:
    """A demo store: the generated city, one account per role, palms enrolled later."""
    from toda_desktop.demo import DemoConfig, generate_city
    from toda_desktop.demo.cases import add_demo_cases  # issue 14
    from toda_desktop.demo.load import load_city

    policy = policy or default_policy()
    lead_login, lead_name = DEMO_LOGINS[FIRST_ROLE]
    created = create_empty_store(
        path, StoreKind.DEMO, lead_login, DEMO_PASSWORD, lead_name, scrypt_n=scrypt_n
    )
    store = created.store
    trail = AuditTrail(store, signer=account_signer(store, lead_login))
    try:
        demo_accounts = [
            {
                "login_id": lead_login,
                "password": DEMO_PASSWORD,
                "display_name": lead_name,
                "role_label": policy.role(FIRST_ROLE).label,
            }
        ]
        for role, (login, name) in DEMO_LOGINS.items():
            if role == FIRST_ROLE:
                continue
            create_account(
                store, policy, login, name, role, DEMO_PASSWORD, set_by=lead_login,
                scrypt_n=scrypt_n, demo=True, at=system_clock(),
            )
            # Signed by the lead, it registers the account's key for its own entries.
            trail.record(lead_login, "account_created", target=f"account:{login}",
                         detail={"role": role})
            demo_accounts.append(
                {
                    "login_id": login,
                    "password": DEMO_PASSWORD,
                    "display_name": name,
                    "role_label": policy.role(role).label,
                }
            )
        store.keyfile.demo_accounts = demo_accounts
        store.keyfile.save(path)
        _enroll_demo_palms(store, seed)
        config = DemoConfig.small(seed=seed) if small else DemoConfig(seed=seed)

        def part(start: float, end: float) -> Progress | None:
            if progress is None:
                return None
            return lambda f: progress(start + (end - start) * f)

        city = generate_city(config, progress=part(0.0, 0.4), cancel=cancel)
        load_city(store, city, lead_login, progress=part(0.4, 1.0), cancel=cancel)
        add_demo_cases(store, lead_login, seed=seed, at=system_clock())  # issue 14
        trail.record(lead_login, "demo_city_loaded", detail={"seed": seed})
    except BaseException:
        store.close()
        remove_store_files(path)
        raise
    return created
