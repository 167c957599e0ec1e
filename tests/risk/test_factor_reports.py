"""要因分析 reports are kept per data version: shown again without running, never once the
data changed (real small demo store; no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.factors import to_jsonable
from storage.connection import Connection, transaction
from tests.conftest import copy_store
from tests.search.helpers import add_rows, demo_sessions
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied


@pytest.fixture
def sessions(_demo_store_template: Path, tmp_path: Path) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path / "factors" / "demo.tdb")
    with demo_sessions(path, ("data_analyst", "liaison")) as signed:
        yield signed


def test_a_report_is_kept_until_the_data_change(sessions: dict[str, SignedIn]) -> None:
    analyst = sessions["data_analyst"]
    risk = analyst.risk
    assert risk.kept_factor_analysis() is None  # never run: the page offers to run it
    ran = risk.run_factor_analysis()
    kept = risk.kept_factor_analysis()
    assert kept is not None and kept.computed_at == ran.computed_at
    assert to_jsonable(kept.report) == to_jsonable(ran.report)  # texts, estimates, controls
    assert risk.kept_factor_analysis(ran.report.school_year - 1) is None  # per school year
    # An import changes the data version: the kept report is not shown any more.
    add_rows(analyst.store, "schools", [{"school_code": "X999", "school_name": "新設校"}])
    assert risk.kept_factor_analysis() is None


def test_an_attendance_row_edited_in_place_drops_the_kept_report(
    sessions: dict[str, SignedIn]
) -> None:
    risk = sessions["data_analyst"].risk
    risk.run_factor_analysis()

    def edit(conn: Connection) -> None:
        with transaction(conn):
            conn.execute("UPDATE ds_attendance_monthly SET absence_days = absence_days"
                         " WHERE id = (SELECT min(id) FROM ds_attendance_monthly)")

    sessions["data_analyst"].store.db.call(edit)
    assert risk.kept_factor_analysis() is None


def test_only_analysis_roles_see_kept_reports(sessions: dict[str, SignedIn]) -> None:
    sessions["data_analyst"].risk.run_factor_analysis()
    with pytest.raises(PermissionDenied):
        sessions["liaison"].risk.kept_factor_analysis()
