"""A copy of the small demo city shared by a module's case tests, with every role signed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.composition import SignedIn

ROLES = ("project_lead", "director", "data_analyst", "liaison", "truancy_support",
         "bullying_support", "it_admin")


@pytest.fixture(scope="module")
def sessions(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("cases") / "demo.tdb")
    with demo_sessions(path, ROLES) as signed:
        yield signed


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module; the module fixture closes them."""


def one(signed: SignedIn, sql: str) -> int:
    return int(signed.store.db.call(lambda c: c.execute(sql).fetchone()[0]))


@pytest.fixture(scope="module")
def pupil(sessions: dict[str, SignedIn]) -> int:
    """A pupil enrolled in the latest school year (not former) with monthly attendance and
    none of the demo city's cases."""
    return one(sessions["project_lead"],
               "SELECT a.pupil_id FROM ds_attendance_monthly a JOIN ds_enrollments e"
               " ON e.pupil_id = a.pupil_id WHERE e.school_year ="
               " (SELECT max(school_year) FROM ds_enrollments) AND a.pupil_id NOT IN ("
               "  SELECT pupil_id FROM g_truancy.case_files UNION"
               "  SELECT pupil_id FROM g_bullying.case_files UNION"
               "  SELECT pupil_id FROM g_consultation_truancy.case_files)"
               " GROUP BY a.pupil_id ORDER BY sum(a.absence_days) DESC LIMIT 1")
