"""What a service gets from its ServiceContext: the gate, the log in the user's name, the clock.

The application's clock is set far from today, so a stamp taken from the system clock instead
would show; the ID rule (data minimization) is asked of the gate for every role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied
from toda_desktop.policy.model import ID_LABELS
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

THEN = datetime(2031, 5, 12, 10, 30, 15)
ALL_IDS = ("address_code", "pref_id", "google_account")


def _sign_in(path: Path, role: str) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    app = Application(path, scanner_factory=factory, clock=lambda: THEN)
    return app.sign_in(DEMO_LOGINS[role][0], DEMO_PASSWORD)


@pytest.fixture(scope="module")
def sessions(
    _demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, SignedIn]]:
    from tests.conftest import copy_store

    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("ctx") / "demo.tdb")
    signed = {role: _sign_in(path, role) for role in
              ("project_lead", "truancy_support", "liaison", "it_admin")}
    yield signed
    for s in signed.values():
        s.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module (one store); the module fixture closes them."""


def _last(lead: SignedIn, action: str) -> tuple[str, datetime, str]:
    row = lead.audit_view.entries(AuditFilter(action=action))[-1]
    return row.actor, row.at, row.target_text


def test_log_writes_in_the_signed_in_users_name_at_the_clocks_time(
    sessions: dict[str, SignedIn],
) -> None:
    lead, liaison = sessions["project_lead"], sessions["liaison"]
    liaison.context.log("view_overview")
    assert _last(lead, "view_overview")[:2] == ("demo-liaison", THEN)
    assert _last(lead, "sign_in")[1] == THEN


def test_every_stamp_a_service_makes_comes_from_the_application_clock(
    sessions: dict[str, SignedIn], tmp_path: Path,
) -> None:
    lead = sessions["project_lead"]
    pupil = int(lead.store.db.call(
        lambda c: c.execute("SELECT id FROM ds_students ORDER BY id LIMIT 1").fetchone()[0]))
    assert lead.karte.open(pupil).opened_at == THEN
    preset = replace(lead.extraction.push_support_preset(), name="時刻の確認")
    assert lead.extraction.run(preset).run_at == THEN
    saved = lead.extraction.save(preset)
    assert saved.created_at == THEN and saved.updated_at == THEN
    assert lead.check_integrity().checked_at == THEN
    lead.records.export_dataset("schools", tmp_path / "schools.csv")
    export = lead.audit_view.entries(AuditFilter(action="export"))[-1]
    assert export.at == THEN and date(2031, 5, 12) in export.detail  # the day, as a value


@pytest.mark.parametrize(("role", "ids"), [
    ("project_lead", ALL_IDS),
    ("truancy_support", ("address_code",)),
    ("it_admin", ()),
])
def test_the_gate_shows_an_id_only_with_the_dataset_it_keys(
    sessions: dict[str, SignedIn], role: str, ids: tuple[str, ...],
) -> None:
    gate = sessions[role].gate
    assert gate.visible_ids() == ids
    assert gate.hidden_ids() == frozenset(ID_LABELS) - set(ids)
    assert sessions[role].search.id_kinds() == ids


def test_a_refusal_at_the_gate_is_logged_in_the_users_name(
    sessions: dict[str, SignedIn],
) -> None:
    with pytest.raises(PermissionDenied):
        sessions["truancy_support"].gate.require("export")
    assert _last(sessions["project_lead"], "permission_denied")[0] == "demo-truancy"
