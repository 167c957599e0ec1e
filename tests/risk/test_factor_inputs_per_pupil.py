"""The 要因分析 reads its year reduced per pupil in SQL (few Python objects, so a search beside
it rarely waits for the interpreter's lock) and gives the table and the estimates the panel's
month, round and subject rows give; its estimates run on one numeric thread (issue 11).
Real small demo store, real SQLCipher, pandas and scikit-learn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from analysis.factors import factor_analysis, pupil_year_table
from storage.connection import Connection, transaction
from storage.repos import factor_inputs
from storage.repos import risk as risk_repo
from tests.conftest import copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.composition import SignedIn
from toda_desktop.risk.factor_tables import adjustments, factor_table
from toda_desktop.risk.frames import read_frames

KINDS = ("attendance", "enrollments", "survey", "academic", "pupils")


@pytest.fixture
def analyst(_demo_store_template: Path, tmp_path: Path) -> Iterator[SignedIn]:
    path = copy_store(_demo_store_template, tmp_path / "factor-inputs" / "demo.tdb")
    with demo_sessions(path, ("data_analyst",)) as signed:
        yield signed["data_analyst"]


def _years(signed: SignedIn) -> list[int]:
    return list(signed.store.db.call(risk_repo.school_years))


def _panel_table(signed: SignedIn, year: int) -> pd.DataFrame:
    """The table as built from the panel's rows (the way the analysis read before)."""
    frames = signed.store.db.read(lambda c: read_frames(c, KINDS, (year, year)))
    enr = frames["enrollments"]
    adjust = adjustments(enr[enr["school_year"] == year], frames.get("pupils"))
    return pupil_year_table(frames["attendance"], enr, frames.get("survey"),
                            frames.get("academic"), year, adjust)


def _reduced_table(signed: SignedIn, year: int) -> tuple[pd.DataFrame, list[str]]:
    return factor_table(signed.store.db.read(lambda c: factor_inputs.read_year(c, year)))


def _assert_same_table(signed: SignedIn, year: int) -> pd.DataFrame:
    panel = _panel_table(signed, year)
    reduced, _ = _reduced_table(signed, year)
    assert list(reduced.columns) == list(panel.columns)
    pd.testing.assert_frame_equal(reduced, panel, check_dtype=False, rtol=1e-12)
    return reduced


def test_the_per_pupil_reduction_gives_the_table_and_estimates_of_the_panel_rows(
    analyst: SignedIn,
) -> None:
    years = _years(analyst)
    assert len(years) >= 2
    for year in years:
        table = _assert_same_table(analyst, year)
        assert len(table) > 100 and any(c.startswith("survey:") for c in table.columns)
    year = years[-1]
    reduced, controls = _reduced_table(analyst, year)
    mine = factor_analysis(reduced, school_year=year, controls=controls)
    theirs = factor_analysis(_panel_table(analyst, year), school_year=year, controls=controls)
    assert [r.factor for r in mine.results] == [r.factor for r in theirs.results]
    for a, b in zip(mine.results, theirs.results, strict=True):
        assert a.controls_selected == b.controls_selected
        assert a.adjusted.coef == pytest.approx(b.adjusted.coef, rel=1e-9, abs=1e-12)
        assert a.single.se == pytest.approx(b.single.se, rel=1e-9, abs=1e-12)
    # The service's run is the reduced path.
    ran = analyst.risk.factor_analysis(year)
    assert [r.adjusted.coef for r in ran.results] == [r.adjusted.coef for r in mine.results]


def test_missing_and_odd_values_are_reduced_as_pandas_reduces_the_panel(
    analyst: SignedIn,
) -> None:
    year = _years(analyst)[-1]

    def spoil(conn: Connection) -> None:
        with transaction(conn):
            # A level that is no number (pandas: NaN, left out of the mean); one pupil's
            # levels all such (pandas: a missing mean).
            conn.execute("UPDATE ds_academic_results SET level = 'A' WHERE id IN (SELECT id"
                         " FROM ds_academic_results WHERE school_year = ? ORDER BY id LIMIT 3)",
                         (year,))
            conn.execute("UPDATE ds_academic_results SET level = NULL WHERE pupil_id = (SELECT"
                         " max(pupil_id) FROM ds_academic_results WHERE school_year = ?)",
                         (year,))
            # Months without absence days (left out of the sum), a pupil without school
            # days (left out), an item without a domain and an unanswered item.
            conn.execute("UPDATE ds_attendance_monthly SET absence_days = NULL WHERE id IN"
                         " (SELECT id FROM ds_attendance_monthly WHERE school_year = ?"
                         " ORDER BY id LIMIT 40)", (year,))
            conn.execute("UPDATE ds_attendance_monthly SET school_days = 0 WHERE pupil_id ="
                         " (SELECT min(pupil_id) FROM ds_attendance_monthly"
                         " WHERE school_year = ?)", (year,))
            conn.execute("UPDATE ds_survey_items SET domain = NULL WHERE id = (SELECT min(id)"
                         " FROM ds_survey_items WHERE school_year = ?)", (year,))
            conn.execute("UPDATE ds_survey_responses SET answer = NULL WHERE id IN (SELECT id"
                         " FROM ds_survey_responses WHERE school_year = ? ORDER BY id"
                         " LIMIT 25)", (year,))

    analyst.store.db.call(spoil)
    table = _assert_same_table(analyst, year)
    assert table["academic"].isna().any()


def test_the_estimates_run_on_one_numeric_thread_and_give_the_setting_back(
    analyst: SignedIn,
) -> None:
    year = _years(analyst)[-1]
    reduced, controls = _reduced_table(analyst, year)
    seen: list[int] = []

    def blas_threads() -> int:
        return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        factor_analysis(reduced, school_year=year, controls=controls,
                        progress=lambda _f: seen.append(blas_threads()))
        after = blas_threads()
    assert before == 2 and after == 2
    # Every report but the last comes from within the estimates.
    assert seen[:-1] and set(seen[:-1]) == {1}
