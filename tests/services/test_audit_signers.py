"""Who signs what: each session signs with the key of whoever unlocked the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.services.test_sign_in import WallClock
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError
from toda_desktop.recovery import RECOVERY_ACTOR, grant_recovery_sign_in
from toda_desktop.store_setup import DEMO_PASSWORD, create_empty_store


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())


def _app(path: Path, sim: Simulator, clock: WallClock) -> Application:
    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=clock)


def _signers(path: Path, sim: Simulator, clock: WallClock, login: str) -> list[tuple[str, ...]]:
    signed = _app(path, sim, clock).sign_in(login, DEMO_PASSWORD)
    try:
        assert signed.audit_view.verify().ok
        return [(r.actor, r.action, str(r.signer), r.actor_text)
                for r in signed.audit_view.entries(AuditFilter())]
    finally:
        signed.sign_out()


def test_a_failed_sign_in_is_written_by_the_next_session_and_shown_as_such(
    demo_store_path: Path, sim: Simulator
) -> None:
    clock = WallClock()
    with pytest.raises(SignInError):
        _app(demo_store_path, sim, clock).start_sign_in("demo-chief", "not the password")
    rows = _signers(demo_store_path, sim, clock, "demo-lead")
    failed = next(r for r in rows if r[1] == "sign_in_failed")
    assert failed[:3] == ("demo-chief", "sign_in_failed", "demo-lead")
    assert failed[3] == "demo-chief（記録: demo-lead）"


def test_a_password_reset_registers_the_key_and_the_account_signs_on(
    demo_store_path: Path, sim: Simulator
) -> None:
    clock = WallClock()
    lead = _app(demo_store_path, sim, clock).sign_in("demo-lead", DEMO_PASSWORD)
    lead.account_admin.reset_password("demo-chief", "the chief's new phrase")
    lead.sign_out()
    chief = _app(demo_store_path, sim, clock).sign_in("demo-chief", "the chief's new phrase")
    chief.overview()
    chief.sign_out()
    rows = _signers(demo_store_path, sim, clock, "demo-it")
    assert ("demo-lead", "password_reset", "demo-lead") in {r[:3] for r in rows}
    assert ("demo-chief", "view_overview", "demo-chief") in {r[:3] for r in rows}


def test_a_recovery_grant_is_signed_with_the_recovery_key_registered_at_creation(
    store_path: Path, sim: Simulator
) -> None:
    clock = WallClock()
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    _app(store_path, sim, clock).sign_in(LEAD_LOGIN, LEAD_PASSWORD).sign_out()  # enrols
    grant_recovery_sign_in(store_path, created.recovery_key, LEAD_LOGIN, "スキャナ故障のため",
                           clock=clock)
    lead = _app(store_path, sim, clock).sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        assert lead.audit_view.verify().ok
        rows = lead.audit_view.entries(AuditFilter(action="recovery_granted"))
        assert [(r.actor, r.signer) for r in rows] == [(RECOVERY_ACTOR, RECOVERY_ACTOR)]
        created_row = lead.audit_view.entries(AuditFilter(action="store_created"))[0]
        assert "回復キーの署名鍵" in created_row.detail_text
    finally:
        lead.sign_out()
