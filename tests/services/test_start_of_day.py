"""データ概要's start of the day (issue 16): each part only for the roles whose map covers it,
what changed between the last sign-in and this one, and every view audit-logged."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from kernel.school_calendar import SchoolMonth
from storage import audit
from storage.connection import Connection, transaction
from storage.repos import batches
from storage.repos import risk as risk_repo
from storage.repos.overview import MonthAbsence
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied
from toda_desktop.overview.start import ALERT_KINDS, StartOfDayService, absence_trend
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

FIRST = datetime(2026, 5, 11, 8, 30)
BETWEEN = datetime(2026, 5, 11, 15, 0)
NEXT = datetime(2026, 5, 12, 8, 30)
LIST_MONTH = SchoolMonth(2026, 5)


def sign_in(path: Path, role: str, when: datetime) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    app = Application(path, scanner_factory=factory, clock=lambda: when)
    return app.sign_in(DEMO_LOGINS[role][0], DEMO_PASSWORD)


def _add_batch(signed: SignedIn, kind: str, rows: int, at: datetime) -> None:
    def write(conn: Connection) -> None:
        with transaction(conn):
            batch = batches.create(conn, kind, "file.xlsx", f"sha-{kind}-{at}", "demo-lead",
                                   rows, at=at)
            conn.execute("UPDATE import_batches SET status = 'committed' WHERE id = ?",
                         (batch,))

    signed.store.db.call(write)


def _add_list(signed: SignedIn, at: datetime) -> None:
    """A stored model and a month's list: ranks 1–3 of one school and rank 6 (beyond the five
    the page shows); the first pupil marked."""
    def write(conn: Connection) -> None:
        with transaction(conn):
            model = risk_repo.insert_model(
                conn, created_by="demo-lead", data_version="v", config_json="{}",
                metrics_json="{}", card_json="{}", model=b"-", at=at)
            rows = [(pid, "S01", rank, "中", json.dumps([])) for pid, rank in
                    ((1, 1), (2, 2), (3, 3), (4, 6))]
            risk_repo.insert_alerts(conn, LIST_MONTH, model, rows, at=at)
            first = conn.execute("SELECT min(id) FROM risk_alerts").fetchone()[0]
            conn.execute("INSERT INTO risk_alert_status (alert_id, status, marked_by,"
                         " marked_at) VALUES (?, '確認済み', 'demo-truancy', ?)",
                         (first, at.isoformat(timespec="seconds")))

    signed.store.db.call(write)


def test_absence_trend_compares_only_the_months_this_year_has() -> None:
    rows = [MonthAbsence(2026, m, 100, a) for m, a in ((4, 2), (5, 4))]
    rows += [MonthAbsence(2025, m, 100, 1) for m in (4, 5, 6, 7, 9, 10, 11, 12, 1, 2, 3)]
    trend = absence_trend(rows, 2026)
    assert [m.offset for m in trend.months] == [0, 1]
    assert trend.this_year == pytest.approx(6 / 200)
    assert trend.last_year == pytest.approx(2 / 200)  # April and May of 2025 only
    assert trend.months[1].this_year == pytest.approx(0.04)


def test_absence_trend_without_last_year_says_so_and_keeps_a_month_with_a_gap() -> None:
    rows = [MonthAbsence(2026, 4, 100, 5), MonthAbsence(2026, 6, 50, 1)]
    trend = absence_trend(rows, 2026)
    assert [m.offset for m in trend.months] == [0, 1, 2]
    assert trend.months[1].this_year is None and trend.last_year is None
    assert trend.this_year == pytest.approx(6 / 150)


def test_the_alert_kinds_are_those_of_the_risk_service() -> None:
    from toda_desktop.risk.service import ALERT_KINDS as RISK_ALERT_KINDS

    assert ALERT_KINDS == RISK_ALERT_KINDS


def test_changes_between_the_last_sign_in_and_this_one_only_of_kinds_the_role_sees(
    demo_store_path: Path,
) -> None:
    director = sign_in(demo_store_path, "director", FIRST)
    try:
        day = director.start_of_day.start_of_day()
        assert day.last_sign_in is None and day.since is None
    finally:
        director.sign_out()
    liaison = sign_in(demo_store_path, "liaison", FIRST)
    liaison.sign_out()
    lead = sign_in(demo_store_path, "project_lead", BETWEEN)
    try:
        _add_batch(lead, "bullying_records", 3, BETWEEN)
        _add_batch(lead, "students", 40, BETWEEN)
        _add_batch(lead, "students", 2, NEXT)  # after the director's next sign-in: not news
    finally:
        lead.sign_out()

    director = sign_in(demo_store_path, "director", NEXT)
    try:
        day = director.start_of_day.start_of_day()
    finally:
        director.sign_out()
    assert day.last_sign_in == FIRST and day.since is not None
    seen = {i.kind: (i.batches, i.rows) for i in day.since.imports}
    assert seen == {"bullying_records": (1, 3), "students": (1, 40)}
    assert day.since.lists_made is None and day.since.marks is None  # no alerts for 室長
    assert day.absence is not None and day.review_waiting is None and not day.may_see_alerts

    liaison = sign_in(demo_store_path, "liaison", NEXT)
    try:
        day = liaison.start_of_day.start_of_day()
    finally:
        liaison.sign_out()
    assert day.since is not None
    assert {i.kind for i in day.since.imports} == {"students"}  # いじめ is outside its map
    assert day.absence is None  # attendance is outside the liaison's map
    hidden = [r for r in day.recent_imports if r.rows is None]
    assert hidden and all(r.kind_label == "（非表示）" and r.imported_by is None for r in hidden)


def test_lists_still_to_mark_only_for_roles_with_alerts(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIRST)
    try:
        _add_list(lead, BETWEEN)
    finally:
        lead.sign_out()
    truancy = sign_in(demo_store_path, "truancy_support", NEXT)
    try:
        day = truancy.start_of_day.start_of_day()
    finally:
        truancy.sign_out()
    assert day.may_see_alerts and day.alerts is not None
    assert (day.alerts.month, day.alerts.listed, day.alerts.unmarked) == (LIST_MONTH, 3, 2)
    assert day.review_waiting is None  # 不登校支援 does not import
    for role in ("director", "liaison", "it_admin"):
        other = sign_in(demo_store_path, role, NEXT)
        try:
            day = other.start_of_day.start_of_day()
        finally:
            other.sign_out()
        assert day.alerts is None and not day.may_see_alerts, role


def test_review_queue_only_for_roles_that_import_and_the_view_is_logged(
    demo_store_path: Path,
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIRST)
    try:
        day = lead.start_of_day.start_of_day()
        entries = lead.store.db.call(
            lambda c: audit.query(c, actor="demo-lead", action="view_start_of_day"))
    finally:
        lead.sign_out()
    assert day.review_waiting == 0
    assert len(entries) == 1 and "名寄せ確認" in json.loads(entries[0].detail or "{}")["parts"]


def test_reviews_due_comes_from_the_hook_and_a_refusal_leaves_the_card_out(
    demo_store_path: Path,
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIRST)
    try:
        # Wired to the cases (issue 14): reviews due today or overdue in the cases they see.
        due_now = lead.cases.reviews_due(within_days=0)
        assert lead.start_of_day.start_of_day().reviews_due == len(due_now)
        assert lead.cases.reviews_due_count() == len(due_now)
        assert StartOfDayService(lead.context, reviews_due=lambda: 4).start_of_day(
        ).reviews_due == 4

        def refused() -> int:
            raise PermissionDenied("支援計画を見る権限がありません。")

        assert StartOfDayService(lead.context, reviews_due=refused).start_of_day(
        ).reviews_due is None
    finally:
        lead.sign_out()


def test_an_insider_with_no_data_domain_learns_no_kind_and_no_count(
    demo_store_path: Path,
) -> None:
    sign_in(demo_store_path, "it_admin", FIRST).sign_out()
    lead = sign_in(demo_store_path, "project_lead", FIRST)
    try:
        _add_batch(lead, "bullying_records", 3, BETWEEN)
        _add_list(lead, BETWEEN)
    finally:
        lead.sign_out()
    it_admin = sign_in(demo_store_path, "it_admin", NEXT)
    try:
        day = it_admin.start_of_day.start_of_day()
    finally:
        it_admin.sign_out()
    assert day.absence is None and day.alerts is None and day.review_waiting is None
    assert day.since is not None and day.since.imports == ()
    assert day.since.lists_made is None and day.since.marks is None
    assert all(r.rows is None and r.imported_by is None for r in day.recent_imports)


def test_a_role_without_a_case_domain_gets_no_reviews_due_card(demo_store_path: Path) -> None:
    liaison = sign_in(demo_store_path, "liaison", FIRST)
    try:
        assert liaison.start_of_day.start_of_day().reviews_due is None
    finally:
        liaison.sign_out()
