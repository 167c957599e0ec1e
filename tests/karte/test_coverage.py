"""How far each kind's data goes, on the karte (issue 16): the store's latest period per kind
the role sees (not the import date, not one pupil's latest record), as typed values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from tests.conftest import copy_store
from tests.search.helpers import add_rows, demo_sessions
from toda_desktop.composition import SignedIn
from toda_desktop.karte.service import KindCoverage, _period, kind_coverage
from toda_desktop.phrase import SchoolYear
from ui.karte.page import coverage_text


@pytest.fixture(scope="module")
def sessions(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("cover") / "demo.tdb")
    with demo_sessions(path, ("project_lead", "liaison")) as signed:
        yield signed


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module; the module fixture closes them."""


def _scalar(signed: SignedIn, sql: str) -> object:
    return signed.store.db.call(lambda c: c.execute(sql).fetchone()[0])


def test_attendance_coverage_is_the_stores_latest_month_not_the_pupils_or_the_import_date(
    sessions: dict[str, SignedIn],
) -> None:
    lead = sessions["project_lead"]
    latest_year = int(str(_scalar(lead, "SELECT max(school_year) FROM ds_attendance_monthly")))
    months = lead.store.db.call(lambda c: [int(r[0]) for r in c.execute(
        "SELECT DISTINCT month FROM ds_attendance_monthly WHERE school_year = ?",
        (latest_year,))])
    last = max(months, key=lambda m: (m - 4) % 12)  # April first, March last
    expected = SchoolMonth.of(latest_year, (last - 4) % 12)
    # A pupil whose own attendance ends earlier (the first enrolled pupil of an older year).
    pupil = int(str(_scalar(lead, "SELECT pupil_id FROM ds_attendance_monthly"
                                  f" GROUP BY pupil_id HAVING max(school_year) < {latest_year}"
                                  " LIMIT 1")))
    karte = lead.karte.open(pupil)
    covered = {c.kind: c.until for c in karte.coverage}
    assert covered["attendance_monthly"] == expected
    own = next(d for d in karte.linked if d.kind == "attendance_monthly")
    assert own.latest_date is not None and own.latest_date < expected.first_day
    assert karte.header.as_of is None or covered["attendance_monthly"] != karte.header.as_of
    # Days stay days, school years stay school years.
    assert all(isinstance(c.until, date | SchoolMonth | SchoolYear) for c in karte.coverage)
    assert isinstance(covered["enrollments"], SchoolYear)
    assert coverage_text(next(c for c in karte.coverage if c.kind == "attendance_monthly"),
                         DateStyle.WAREKI).startswith("出欠状況（月次）: 令和")


def test_a_role_gets_the_coverage_only_of_kinds_it_sees(sessions: dict[str, SignedIn]) -> None:
    liaison = sessions["liaison"]
    pupil = int(str(_scalar(sessions["project_lead"], "SELECT min(id) FROM ds_students")))
    karte = liaison.karte.open(pupil)
    seen = {k.name for k in liaison.gate.visible_kinds()}
    assert {c.kind for c in karte.coverage} <= seen
    assert "attendance_monthly" not in {c.kind for c in karte.coverage}


def test_coverage_moves_with_new_rows_and_reads_irregular_periods() -> None:
    assert _period("2026-03") == SchoolMonth(2026, 3)
    assert _period("2025") == SchoolYear(2025)
    assert _period("2026-01-30T00:00:00") == date(2026, 1, 30)
    assert _period("令和8年") is None and _period("2026-13") is None
    kinds = [type("K", (), {"name": n, "label": n})() for n in ("a", "b", "c")]
    assert kind_coverage(kinds, ["2026-02", None, "bad"]) == (  # type: ignore[arg-type]
        KindCoverage("a", "a", SchoolMonth(2026, 2)),)


def test_a_later_visit_moves_the_kept_health_room_coverage(
    sessions: dict[str, SignedIn],
) -> None:
    """The service keeps each kind's coverage until the kind's rows or batches change."""
    lead = sessions["project_lead"]
    code = str(_scalar(lead, "SELECT address_code FROM ds_students LIMIT 1"))
    pupil = int(str(_scalar(lead, f"SELECT id FROM ds_students WHERE address_code = '{code}'")))
    before = {c.kind: c.until for c in lead.karte.open(pupil).coverage}
    assert before["health_room_visits"] < date(2027, 2, 3)
    add_rows(lead.store, "health_room_visits",
             [{"address_code": code, "visit_date": "2027-02-03", "symptom": "内科",
               "school_code": str(_scalar(lead, "SELECT school_code FROM ds_schools LIMIT 1"))}])
    covered = {c.kind: c.until for c in lead.karte.open(pupil).coverage}
    assert covered["health_room_visits"] == date(2027, 2, 3)
