"""The review's attack on the idle lock, replayed (issue 12, finding 9): with a session whose
window was locked, the services still exported the search results. Now the export is
refused before a file is started, the refusal is in the audit log, and the palm brings the
session back."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage import audit
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import SessionLocked, SignInError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.extraction.service import ExtractionService
from toda_desktop.idle_lock import LockState
from toda_desktop.search.service import SearchFilters
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)

class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now


def _sign_in(path: Path, clock: Clock, role: str) -> tuple[SignedIn, Simulator]:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    app = Application(path, scanner_factory=factory, clock=clock)
    return app.sign_in(DEMO_LOGINS[role][0], DEMO_PASSWORD), sim


def test_a_locked_session_cannot_export_what_it_found_before(
    demo_store_path: Path, tmp_path: Path
) -> None:
    clock = Clock()
    signed, sim = _sign_in(demo_store_path, clock, "project_lead")
    try:
        signed.export_purposes.set_threshold(100_000)  # the whole year without an approval
        results = signed.search.search("", SearchFilters(school_year=2025))
        assert results.hits
        signed.lock()  # what the window does after 10 idle minutes
        target = tmp_path / "pupils.csv"
        with pytest.raises(SessionLocked, match="手のひら認証で再開してください"):
            signed.search.export(results, target, purpose=PURPOSE)
        assert not target.exists()
        assert list(tmp_path.glob("pupils*")) == []
        rows = signed.store.db.call(lambda c: audit.query(c, action="permission_denied"))
        assert [(r.outcome, r.target) for r in rows] == [("denied", "export")]
        assert "session_locked" in (rows[0].detail or "")
        # The palm again, and the same export works.
        sim.push(f"SCAN {DEMO_LOGINS['project_lead'][0]}")
        signed.resume_with_palm()
        assert signed.search.export(results, target, purpose=PURPOSE).rows == len(results.hits)
        shown = signed.audit_view.entries(AuditFilter(action="permission_denied"))
        assert [(e.outcome_label, e.target_text) for e in shown] == [("拒否", "出力")]
    finally:
        signed.sign_out()


def test_after_twelve_hours_every_call_is_refused_and_only_sign_out_remains(
    demo_store_path: Path,
) -> None:
    clock = Clock()
    signed, sim = _sign_in(demo_store_path, clock, "director")
    clock.now += timedelta(hours=12)
    with pytest.raises(SessionLocked, match="利用時間の上限"):
        signed.karte.open(1)
    with pytest.raises(SessionLocked, match="利用時間の上限"):
        signed.search.search("高橋")
    sim.push(f"SCAN {DEMO_LOGINS['director'][0]}")
    with pytest.raises(SignInError, match="上限"):  # the palm does not extend a session
        signed.resume_with_palm()
    signed.sign_out()
    assert signed.store.closed


def test_a_call_running_when_the_lock_falls_completes_and_is_logged(
    demo_store_path: Path,
) -> None:
    """Refusing half-way would leave work done but not logged (alerts stored without their
    entry): the session is checked at a call's first question, and the next call is refused."""
    clock = Clock()
    signed, _ = _sign_in(demo_store_path, clock, "project_lead")
    try:
        preset = signed.extraction.push_support_preset()
        locked_during: list[float] = []

        def progress(share: float) -> None:
            if not locked_during:
                locked_during.append(share)
                signed.lock()  # the window locks while the run is going

        result = signed.extraction.run(preset, progress=progress)
        assert locked_during and signed.lock_state() is LockState.LOCKED
        assert result.population > 0
        logged = signed.store.db.call(lambda c: audit.query(c, action="extraction"))
        assert [e.outcome for e in logged] == ["ok"]
        with pytest.raises(SessionLocked):
            signed.extraction.run(preset)
        with pytest.raises(SessionLocked):  # a service built by hand asks every time
            ExtractionService(signed.context).saved()
    finally:
        signed.sign_out()
