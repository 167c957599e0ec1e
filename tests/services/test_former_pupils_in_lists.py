"""Every list that names pupils follows the former-pupil rule of search and the karte
(issue 13): 名寄せ確認 candidates and past 見守りアラート lists.

An insider holding one role's password (データ整備・分析職員 for 名寄せ, 不登校支援担当職員 for the
alerts) signs in on the real store files with a permission map whose entry lacks
``former_pupils`` and calls the product's service API directly. A late file's row whose
candidate has left is still offered (a late attendance file must be linkable), but without
name, kana, birth date, sex, 宛名番号 or class; naming a former pupil by 宛名番号 is refused and
logged. Past alert lists leave pupils who have left out, and asking for their alerts by id is
refused and logged. With the map's setting the same calls show them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from kernel.school_calendar import SchoolMonth
from storage.connection import Connection, transaction
from storage.repos import batches, imports, leavers
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied
from toda_desktop.policy.model import parse_policy_text, policy_to_toml
from toda_desktop.risk import RiskService
from toda_desktop.search.former import DENIED_MESSAGE
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

PAST_MONTH = SchoolMonth(2024, 10)  # pupils listed then have partly left by 2025


def _sign_in(path: Path, role: str) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    return Application(path, scanner_factory=factory).sign_in(DEMO_LOGINS[role][0],
                                                              DEMO_PASSWORD)


def _set_former(lead: SignedIn, role: str, value: bool) -> None:
    """The lead changes the store's permission map (権限設定) for one role."""
    policy = parse_policy_text(lead.policy_admin.current_text())
    roles = tuple(replace(r, former_pupils=value) if r.key == role else r
                  for r in policy.roles)
    lead.policy_admin.update(policy_to_toml(replace(policy, roles=roles)))


def _map_for(path: Path, role: str, value: bool) -> None:
    lead = _sign_in(path, "project_lead")
    try:
        _set_former(lead, role, value)
    finally:
        lead.sign_out()


def _people(conn: Connection) -> tuple[int, str, int]:
    """(a former pupil, their 宛名番号, a current pupil) of the demo city."""
    gone = leavers.leavers(conn)[0].pupil_id
    code = conn.execute("SELECT address_code FROM ds_students WHERE id = ?",
                        (gone,)).fetchone()[0]
    current = conn.execute(
        "SELECT pupil_id FROM ds_enrollments WHERE school_year = 2025 ORDER BY pupil_id"
        " LIMIT 1").fetchone()[0]
    return gone, str(code), int(current)


def _queue_late_rows(conn: Connection, gone: int, current: int) -> None:
    """Two rows of last year's 保健室来室 arriving late: the first could be the former pupil
    or a current one, the second only a current one."""
    row = {"name": "遅延　太郎", "birth_date": "2010-05-05", "school_year": 2024,
           "visit_date": "2025-02-14", "time_in": "10:05", "symptom": "頭痛"}
    with transaction(conn):
        batch = batches.create(conn, "health_room_visits", "来室_2024年度.csv", "1" * 64,
                               "demo-analyst", at=datetime(2025, 6, 2, 9))
        imports.enqueue(conn, batch, "health_room_visits", "来室_2024年度.csv", [
            (5, "fp-late-1", row,
             [{"pupil_id": gone, "score": 90.0, "evidence": "氏名・生年月日が一致"},
              {"pupil_id": current, "score": 60.0, "evidence": "氏名だけが一致"}],
             "候補が複数あります"),
            (6, "fp-late-2", row | {"name": "遅延　花子"},
             [{"pupil_id": current, "score": 70.0, "evidence": "氏名だけが一致"}],
             "一致度が低いため確認が必要です"),
        ])


@pytest.fixture
def late_file(demo_store_path: Path) -> Iterator[tuple[Path, int, str, int]]:
    lead = _sign_in(demo_store_path, "project_lead")
    try:
        gone, code, current = lead.store.db.call(_people)
        lead.store.db.call(lambda c: _queue_late_rows(c, gone, current))
        _set_former(lead, "data_analyst", False)
    finally:
        lead.sign_out()
    yield demo_store_path, gone, code, current


def test_a_former_candidate_is_offered_without_anything_that_identifies_the_pupil(
    late_file: tuple[Path, int, str, int],
) -> None:
    path, gone, code, current = late_file
    analyst = _sign_in(path, "data_analyst")
    try:
        first = next(i for i in analyst.review.open_items() if i.source_row == 5)
        former, other = first.candidates
        assert former.pupil_id == gone and former.withheld
        assert (former.name, former.name_kana, former.birth_date, former.sex,
                former.address_code, former.placement) == ("", "", None, "", "", None)
        assert former.score == 90.0 and former.evidence == "氏名・生年月日が一致"
        assert 2024 in former.years  # the clue that a late file needs
        assert "卒業・転出" in former.label and code not in former.label
        assert other.pupil_id == current and not other.withheld
        assert other.name and other.address_code
        # The same item by id (the command line's path) withholds the same.
        one = analyst.review.open_item(first.id)
        assert one is not None and one.candidates[0].withheld
    finally:
        analyst.sign_out()
    _map_for(path, "data_analyst", True)
    analyst = _sign_in(path, "data_analyst")
    try:
        first = next(i for i in analyst.review.open_items() if i.source_row == 5)
        assert not first.candidates[0].withheld
        assert first.candidates[0].address_code == code
    finally:
        analyst.sign_out()


def test_naming_a_former_pupil_by_address_code_is_refused_and_logged(
    late_file: tuple[Path, int, str, int],
) -> None:
    path, gone, code, _current = late_file
    analyst = _sign_in(path, "data_analyst")
    try:
        with pytest.raises(PermissionDenied, match="卒業・転出"):
            analyst.review.find_pupil(code)
        with pytest.raises(PermissionDenied):
            analyst.review.describe_pupil(gone)
        second = next(i for i in analyst.review.open_items() if i.source_row == 6)
        with pytest.raises(PermissionDenied):  # not offered for this row: refused
            analyst.review.decide(second.id, gone)
        assert analyst.review.open_item(second.id) is not None  # nothing decided
    finally:
        analyst.sign_out()
    lead = _sign_in(path, "project_lead")
    try:
        denied = [e for e in lead.audit_view.entries(AuditFilter(pupil_id=gone))
                  if e.outcome_label == "拒否"]
        assert sorted(e.action for e in denied) == [
            "review_decision", "review_find_pupil", "review_find_pupil"]
    finally:
        lead.sign_out()


def test_the_offered_former_candidate_can_still_be_confirmed_for_a_late_file(
    late_file: tuple[Path, int, str, int],
) -> None:
    path, gone, _code, _current = late_file
    analyst = _sign_in(path, "data_analyst")
    try:
        first = next(i for i in analyst.review.open_items() if i.source_row == 5)
        analyst.review.decide(first.id, gone)
        linked = analyst.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM ds_health_room_visits WHERE pupil_id = ? AND visit_date = ?",
            (gone, "2025-02-14")).fetchone()[0])
        assert linked == 1
    finally:
        analyst.sign_out()


@pytest.fixture
def scored(demo_store_path: Path) -> Iterator[tuple[Path, int, int]]:
    """A past month's lists made by the lead (who sees former pupils), and one alert of a
    pupil who has left since."""
    lead = _sign_in(demo_store_path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        alerts = risk.score(PAST_MONTH, top=50).alerts
        gone = lead.store.db.call(lambda c: leavers.leavers_among(
            c, [a.pupil_id for a in alerts if a.pupil_id is not None]))
        assert gone, "the demo city lists a pupil who has left since"
        alert = next(a for a in alerts if a.pupil_id in gone)
        risk.mark_alert(alert.id, "見守り", "前年度の記録")
        _set_former(lead, "truancy_support", False)
    finally:
        lead.sign_out()
    assert alert.pupil_id is not None
    yield demo_store_path, alert.id, alert.pupil_id


def test_past_alert_lists_leave_out_pupils_who_have_left_and_refuse_their_alerts(
    scored: tuple[Path, int, int],
) -> None:
    path, alert_id, gone = scored
    truancy = _sign_in(path, "truancy_support")
    try:
        risk = RiskService(truancy.context)
        shown = risk.alerts(PAST_MONTH, top=50)
        assert shown and gone not in {a.pupil_id for a in shown}
        assert alert_id not in {a.id for a in shown}
        remade = risk.score(PAST_MONTH, top=50)  # made again: the same rule
        assert gone not in {a.pupil_id for a in remade.alerts}
        for call in (lambda: risk.alert_history(alert_id),
                     lambda: risk.mark_alert(alert_id, "確認済み"),
                     lambda: risk.correct_alert_mark(alert_id, "誤り")):
            with pytest.raises(PermissionDenied) as refused:
                call()
            assert str(refused.value) == DENIED_MESSAGE
    finally:
        truancy.sign_out()
    _map_for(path, "truancy_support", True)
    truancy = _sign_in(path, "truancy_support")
    try:
        risk = RiskService(truancy.context)
        assert gone in {a.pupil_id for a in risk.alerts(PAST_MONTH, top=50)}
        assert [h.status for h in risk.alert_history(alert_id)] == ["見守り"]
    finally:
        truancy.sign_out()
    lead = _sign_in(path, "project_lead")
    try:
        denied = [e for e in lead.audit_view.entries(AuditFilter(pupil_id=gone))
                  if e.outcome_label == "拒否"]
        assert {e.action for e in denied} == {"risk_alert_history", "risk_alert_mark",
                                              "risk_alert_mark_corrected"}
        views = lead.audit_view.entries(AuditFilter(action="risk_alerts_view"))
        assert any("卒業・転出" in e.detail_text for e in views)
    finally:
        lead.sign_out()


def test_the_command_line_lists_and_links_a_withheld_candidate_without_naming_the_pupil(
    late_file: tuple[Path, int, str, int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from toda_desktop.cli import main

    path, gone, code, _current = late_file
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["data_analyst"][0])
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    out = io.StringIO()
    assert main(["review", "list", "--store", str(path)], out=out) == 0
    listed = out.getvalue()
    assert f"児童生徒ID {gone}　卒業・転出した児童生徒" in listed and code not in listed
    analyst = _sign_in(path, "data_analyst")
    try:
        item = next(i for i in analyst.review.open_items() if i.source_row == 5).id
    finally:
        analyst.sign_out()
    out = io.StringIO()
    assert main(["review", "decide", "--store", str(path), "--item", str(item),
                 "--pupil", str(gone)], out=out) == 0
    assert "卒業・転出した児童生徒" in out.getvalue() and code not in out.getvalue()
