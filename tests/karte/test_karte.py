"""The pupil karte on the demo city: header, 連携情報, charts per role, click-through, audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.school_calendar import SchoolMonth
from storage.repos.karte import AttendanceMonth, RecordFilter
from tests.conftest import copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.formatting import format_phrase
from toda_desktop.karte.service import (
    KarteChart,
    KarteService,
    _month_axis,
    attendance_chart,
    point_source,
)

ROLES = ("project_lead", "director", "liaison", "truancy_support", "bullying_support",
         "it_admin")


@pytest.fixture(scope="module")
def sessions(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("karte") / "demo.tdb")
    with demo_sessions(path, ROLES) as signed:
        yield signed


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module; the module fixture closes them."""


def _one(signed: SignedIn, sql: str) -> int:
    return int(signed.store.db.call(lambda c: c.execute(sql).fetchone()[0]))


@pytest.fixture(scope="module")
def long_absent(sessions: dict[str, SignedIn]) -> int:
    return _one(sessions["project_lead"],
                "SELECT pupil_id FROM ds_long_absence WHERE absence_days >= 30"
                " AND pupil_id IN (SELECT pupil_id FROM ds_academic_results)"
                " AND pupil_id IN (SELECT pupil_id FROM ds_survey_responses) LIMIT 1")


@pytest.fixture(scope="module")
def ordinary(sessions: dict[str, SignedIn]) -> int:
    return _one(sessions["project_lead"],
                "SELECT pupil_id FROM ds_academic_results WHERE pupil_id NOT IN"
                " (SELECT pupil_id FROM ds_long_absence)"
                " AND pupil_id IN (SELECT pupil_id FROM ds_health_room_visits) LIMIT 1")


def _chart(karte_charts: tuple[KarteChart, ...], key: str) -> KarteChart:
    return next(c for c in karte_charts if c.key == key)


def test_header_has_identity_current_class_ids_and_as_of(
    sessions: dict[str, SignedIn], ordinary: int
) -> None:
    lead = sessions["project_lead"]
    karte = KarteService(lead.context).open(ordinary)
    h = karte.header
    student = lead.store.db.call(lambda c: c.execute(
        "SELECT name, name_kana, birth_date, sex, address_code FROM ds_students WHERE id = ?",
        (ordinary,)).fetchone())
    assert (h.name, h.name_kana, h.birth_date.isoformat() if h.birth_date else None, h.sex) == \
        tuple(student[:4])
    latest = lead.store.db.call(lambda c: c.execute(
        "SELECT school_year, grade, class_name, seat_number FROM ds_enrollments"
        " WHERE pupil_id = ? ORDER BY school_year DESC, id DESC LIMIT 1",
        (ordinary,)).fetchone())
    assert (h.school_year, h.grade, h.class_name, h.seat_number) == tuple(latest)
    assert h.school_name.endswith("学校")
    assert h.identifiers[0].label == "宛名番号"
    assert h.identifiers[0].value == student[4]
    imported = lead.store.db.call(lambda c: c.execute(
        "SELECT max(imported_at) FROM import_batches").fetchone()[0])
    assert h.as_of is not None and h.as_of.isoformat() == imported[:10]


def test_linked_data_lists_counts_and_latest_dates(
    sessions: dict[str, SignedIn], long_absent: int
) -> None:
    lead = sessions["project_lead"]
    karte = KarteService(lead.context).open(long_absent)
    linked = {d.kind: d for d in karte.linked}
    n = _one(lead, f"SELECT count(*) FROM ds_attendance_monthly WHERE pupil_id = {long_absent}")
    assert linked["attendance_monthly"].count == n
    assert linked["long_absence"].count > 0
    assert format_phrase(linked["long_absence"].latest).endswith("月")
    visits = linked["health_room_visits"]
    if visits.count:
        latest = lead.store.db.call(lambda c: c.execute(
            "SELECT max(visit_date) FROM ds_health_room_visits WHERE pupil_id = ?",
            (long_absent,)).fetchone()[0])
        assert visits.latest_date is not None and visits.latest_date.isoformat() == latest
    assert linked["students"].last_imported is not None


EXPECTED_KINDS = {
    "project_lead": None,  # everything
    "director": None,
    "liaison": {"students", "enrollments", "infant_checkups", "preschool"},
    "truancy_support": {"students", "enrollments", "attendance_monthly", "attendance_term",
                        "health_room_visits", "long_absence", "consultations"},
    "bullying_support": {"students", "enrollments", "bullying_records"},
}
EXPECTED_CHARTS = {
    "liaison": set(),
    "truancy_support": {"attendance", "attendance_term", "health_room", "long_absence"},
    "bullying_support": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED_KINDS))
def test_sections_a_role_may_not_see_are_not_listed_at_all(
    sessions: dict[str, SignedIn], role: str, long_absent: int
) -> None:
    signed = sessions[role]
    karte = KarteService(signed.context).open(long_absent)
    kinds = {d.kind for d in karte.linked}
    expected = EXPECTED_KINDS[role]
    if expected is None:
        assert {"academic_results", "survey_responses", "bullying_records",
                "consultations"} <= kinds
        assert {"attendance", "health_room", "long_absence", "academic"} <= {
            c.key for c in karte.charts}
        assert any(c.key.startswith("survey:") for c in karte.charts)
        assert [i.key for i in karte.header.identifiers] == [
            "address_code", "pref_id", "google_account"]
    else:
        assert kinds == expected
        assert {c.key for c in karte.charts} == EXPECTED_CHARTS[role]
        assert [i.key for i in karte.header.identifiers] == ["address_code"]
        assert set(karte.record_kinds) <= expected
    # What is not listed cannot be opened either, by kind or by chart point.
    for kind in ("academic_results", "bullying_records", "consultations"):
        if expected is not None and kind not in expected:
            with pytest.raises(PermissionDenied):
                KarteService(signed.context).records(long_absent, kind)
    if expected is not None and "attendance_monthly" not in expected:
        with pytest.raises(PermissionDenied):
            KarteService(signed.context).source_records(long_absent, "attendance", "2024-06")


def test_the_it_admin_opens_no_karte(sessions: dict[str, SignedIn], ordinary: int) -> None:
    with pytest.raises(PermissionDenied):
        KarteService(sessions["it_admin"].context).open(ordinary)
    with pytest.raises(PermissionDenied):
        KarteService(sessions["it_admin"].context).records(ordinary, "students")


def test_an_unknown_pupil_is_said_plainly(sessions: dict[str, SignedIn]) -> None:
    with pytest.raises(UserFacingError, match="見つかりません"):
        KarteService(sessions["project_lead"].context).open(10**9)


def test_a_long_absence_shows_in_its_chart_and_an_ordinary_pupil_has_none(
    sessions: dict[str, SignedIn], long_absent: int, ordinary: int
) -> None:
    service = KarteService(sessions["project_lead"].context)
    chart = _chart(service.open(long_absent).charts, "long_absence")
    days = next(s for s in chart.series if s.key == "absence_days")
    assert max(v or 0 for v in days.values) >= 30
    assert chart.has_data
    assert not _chart(service.open(ordinary).charts, "long_absence").has_data


def test_charts_have_school_year_boundaries(
    sessions: dict[str, SignedIn], long_absent: int
) -> None:
    karte = KarteService(sessions["project_lead"].context).open(long_absent)
    chart = _chart(karte.charts, "attendance")
    assert len(chart.x) == 12 * len(chart.year_starts)
    assert all(chart.x_labels[i] == ("4月",) for i in chart.year_starts)
    assert all(len(s.values) == len(chart.x) for s in chart.series)
    assert {s.key for s in chart.series} >= {"sick_days", "accident_days", "late_count",
                                             "early_leave_count"}


def test_click_through_from_every_kind_of_chart_point_to_its_records(
    sessions: dict[str, SignedIn], long_absent: int, ordinary: int
) -> None:
    service = KarteService(sessions["project_lead"].context)
    checked = set()
    for pupil in (long_absent, ordinary):
        karte = service.open(pupil)
        for chart in karte.charts:
            for series in chart.series:
                for i, value in enumerate(series.values):
                    if not value:
                        continue
                    records = service.source_records(pupil, chart.key, chart.x[i], series.key)
                    assert records.rows, (chart.key, chart.x[i], series.key)
                    assert all(p.source_name for p in records.provenance)
                    assert all(p.batch_id is not None for p in records.provenance)
                    _check_point(chart, series.key, value, records.keys, records.rows)
                    if chart.key.startswith("survey:"):
                        types = dict(zip(records.keys, records.types, strict=True))
                        assert types["positive"] == "bool" and types["domain"] == ""
                    checked.add(chart.key.split(":")[0])
                    break  # one point per series is enough
    assert checked >= {"attendance", "health_room", "long_absence", "academic", "survey"}


def _check_point(chart: KarteChart, series: str, value: float, keys: tuple[str, ...],
                 rows: tuple[tuple[object, ...], ...]) -> None:
    col = {k: i for i, k in enumerate(keys)}
    if chart.key == "attendance" and series in ("sick_days", "late_count"):
        assert sum(int(r[col[series]] or 0) for r in rows) == value  # type: ignore[call-overload]
    elif chart.key == "health_room":
        assert len(rows) == value
        assert {r[col["symptom"]] or "未記入" for r in rows} == {series}
    elif chart.key == "long_absence" and series == "absence_days":
        assert max(int(r[col["absence_days"]]) for r in rows) == value  # type: ignore[call-overload]
    elif chart.key == "academic":
        assert [float(r[col["level"]]) for r in rows] == [value]  # type: ignore[arg-type]
        assert {r[col["subject"]] for r in rows} == {series}
    elif chart.key.startswith("survey:"):
        positive = [bool(r[col["positive"]]) for r in rows]
        assert round(100 * sum(positive) / len(positive), 1) == value
        if series != "全体":
            assert {r[col["domain"]] for r in rows} == {series}


def test_records_carry_provenance(sessions: dict[str, SignedIn], long_absent: int) -> None:
    records = KarteService(sessions["project_lead"].context).records(long_absent, "long_absence")
    assert records.headers[:2] == ("年度", "月")
    p = records.provenance[0]
    assert p.source_name == "デモ都市ジェネレータ" and p.imported_at is not None
    assert p.batch_id is not None and p.batch_id > 0
    assert len(records.record_ids) == len(records.rows) == len(records.provenance)
    # Each column comes with its registry type, so screens format values without the registry.
    assert records.types[:2] == ("school_year", "month")
    assert len(records.types) == len(records.keys)


def test_codes_come_with_their_names(sessions: dict[str, SignedIn], ordinary: int) -> None:
    """Found by QA: the 在籍 list showed 13101 where staff read a school's name, and the
    調査回答 list PREF_Q / HAPPY where the app elsewhere says 県学調質問紙 / しあわせアンケート."""
    service = KarteService(sessions["project_lead"].context)
    enrollments = service.records(ordinary, "enrollments")
    at = enrollments.keys.index("school_code")
    assert enrollments.keys[at + 1] == "school_name" and enrollments.headers[at + 1] == "学校名"
    assert all(str(row[at + 1]).endswith("学校") for row in enrollments.rows)
    surveys = service.records(ordinary, "survey_responses")
    at = surveys.keys.index("survey_code")
    assert surveys.headers[at + 1] == "調査名"
    names = {row[at + 1] for row in surveys.rows}
    assert names and not {n for n in names if not n or str(n).isascii()}


def test_opening_and_clicking_are_audit_logged_with_the_pupil(
    sessions: dict[str, SignedIn], ordinary: int
) -> None:
    truancy = sessions["truancy_support"]
    service = KarteService(truancy.context)
    karte = service.open(ordinary)
    chart = _chart(karte.charts, "attendance")
    service.source_records(ordinary, "attendance", chart.x[0])
    lead = sessions["project_lead"]
    rows = lead.audit_view.entries(AuditFilter(actor="demo-truancy"))
    actions = [(r.action, r.pupil_id) for r in rows[:2]]
    assert ("view_records", ordinary) in actions and ("view_karte", ordinary) in actions
    assert any("attendance" in r.detail_text for r in rows[:2])


def test_point_source_maps_chart_points_to_filters() -> None:
    assert point_source("attendance", "2025-01") == (
        "attendance_monthly", RecordFilter(school_year=2024, month=1),
        (SchoolMonth(2025, 1),))
    kind, where, _ = point_source("survey:HAPPY", "2024-2", "友人関係")
    assert kind == "survey_responses"
    assert where == RecordFilter(school_year=2024, equals=(("survey_code", "HAPPY"),
                                                           ("round", 2)),
                                 survey_domain="友人関係")
    assert point_source("survey:HAPPY", "2024-2", "全体")[1].survey_domain is None
    assert point_source("health_room", "2024-06", "未記入")[1].equals == (("symptom", None),)
    assert point_source("academic", "2023", "国語")[1] == RecordFilter(
        school_year=2023, equals=(("subject", "国語"),))
    for bad in (("attendance", "2024-13"), ("nope", "2024-01"), ("academic", "x"),
                ("survey:HAPPY", "2024")):
        with pytest.raises(UserFacingError):
            point_source(*bad)


def test_month_axis_and_other_absence() -> None:
    x, _labels, starts, years = _month_axis([2024, 2023])
    assert x[0] == "2023-04" and x[11] == "2024-03" and x[12] == "2024-04"
    assert starts == [0, 12] and years == [2023, 2024]
    chart = attendance_chart([AttendanceMonth(2024, 5, 20, 6, 2, 1, 1, 0, 3)], [2024])
    other = next(s for s in chart.series if s.key == "other_absence")
    assert other.values[1] == 2.0 and other.values[0] is None
