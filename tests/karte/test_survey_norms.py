"""The karte's survey domains against the grade, from grade norms kept per data version (real
demo store, real SQLCipher and pandas)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.survey_norms import DOMAIN_FACTORS, JUDGMENT_DOMAINS, WEAK_POINTS, WEAK_Z
from storage import audit
from storage.connection import Connection, transaction
from tests.conftest import copy_store
from tests.search.helpers import add_rows, demo_sessions
from toda_desktop.audit.sealing import reader_opener
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied
from toda_desktop.risk.frames import read_frames
from toda_desktop.risk.survey_domains import survey_domains


@pytest.fixture
def sessions(_demo_store_template: Path, tmp_path: Path) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path / "norms" / "demo.tdb")
    with demo_sessions(path, ("project_lead", "truancy_support")) as signed:
        yield signed


class Clock:
    """A clock that moves a minute at each reading."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _sql(signed: SignedIn, sql: str) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(sql).fetchall())


def _answered(signed: SignedIn, n: int) -> list[int]:
    return [int(r[0]) for r in _sql(signed, "SELECT DISTINCT pupil_id FROM ds_survey_responses"
                                            f" ORDER BY pupil_id LIMIT {n}")]


def _straight(survey: pd.DataFrame, enrollments: pd.DataFrame, pupil_id: int,
              year: int) -> list[tuple[str, float, float, float, bool, str]]:
    """The judgments as the karte computed them before norms were kept (the whole year's
    tables on every opening), as plain tuples."""
    enr = enrollments[enrollments["school_year"] == year].drop_duplicates(
        "pupil_id", keep="last").set_index("pupil_id")["grade"]
    grade = enr.loc[pupil_id]
    peers = survey[(survey["school_year"] == year)
                   & survey["pupil_id"].map(enr).eq(grade).fillna(False)]
    per_pupil = peers.groupby(["pupil_id", "domain"], observed=True)[
        "positive_share"].mean().unstack()
    out = []
    for domain in JUDGMENT_DOMAINS:
        if domain not in per_pupil.columns or pupil_id not in per_pupil.index:
            continue
        value = float(per_pupil[domain].to_numpy(dtype=np.float64)[
            per_pupil.index.get_loc(pupil_id)])
        if not np.isfinite(value):
            continue
        col = per_pupil[domain].dropna()
        mean = float(col.mean())
        sd = float(col.std(ddof=1)) if len(col) > 1 else 0.0
        z = (value - mean) / sd if sd > 0 else 0.0
        weak = bool(z <= WEAK_Z and value <= mean - WEAK_POINTS)
        text = (f"{DOMAIN_FACTORS[domain]}: 肯定的回答 {value * 100:.0f}%（学年平均"
                f" {mean * 100:.0f}%）" + ("— 学年と比べて低めです" if weak else ""))
        out.append((domain, value, mean, float(z), weak, text))
    return out


def test_judgments_from_kept_norms_equal_the_whole_year_computation(
    sessions: dict[str, SignedIn]
) -> None:
    lead = sessions["project_lead"]
    clock = Clock()
    pupils = _answered(lead, 25)
    checked = 0
    tables: dict[int, dict[str, pd.DataFrame]] = {}
    for pupil in pupils:
        got = survey_domains(lead.store.db, pupil, None, clock)
        assert got.school_year is not None and got.norms_computed_at is not None
        year = got.school_year
        if year not in tables:
            tables[year] = lead.store.db.call(
                lambda c, y=year: read_frames(c, ("enrollments", "survey"), (y, y)))
        want = _straight(tables[year]["survey"], tables[year]["enrollments"], pupil, year)
        assert [j.domain for j in got.judgments] == [w[0] for w in want]
        for j, (_d, value, mean, z, weak, text) in zip(got.judgments, want, strict=True):
            assert (j.pupil_share, j.grade_mean, j.z) == pytest.approx((value, mean, z))
            assert (j.weak, j.text) == (weak, text)
        checked += len(want)
    assert checked > 25  # most pupils have several domains


def test_norms_are_computed_once_per_data_version(sessions: dict[str, SignedIn]) -> None:
    lead = sessions["project_lead"]
    clock = Clock()
    first, second = _answered(lead, 2)
    a = survey_domains(lead.store.db, first, None, clock)
    b = survey_domains(lead.store.db, second, None, clock)
    assert a.school_year == b.school_year
    assert a.norms_computed_at == b.norms_computed_at  # kept, not computed again
    assert clock.now == a.norms_computed_at
    # An import changes the data version: the norms are computed again when next needed.
    add_rows(lead.store, "schools", [{"school_code": "X999", "school_name": "新設校"}])
    c = survey_domains(lead.store.db, first, None, clock)
    assert c.norms_computed_at is not None and c.norms_computed_at > a.norms_computed_at
    assert c.judgments == a.judgments


def test_an_answer_edited_in_place_drops_the_kept_norms(sessions: dict[str, SignedIn]) -> None:
    lead = sessions["project_lead"]
    clock = Clock()
    pupil = _answered(lead, 1)[0]
    before = survey_domains(lead.store.db, pupil, None, clock)
    assert _sql(lead, "SELECT count(*) FROM survey_norm_sets") == [(1,)]

    def edit(conn: Connection) -> None:
        with transaction(conn):
            conn.execute("UPDATE ds_survey_responses SET answer = answer"
                         " WHERE id = (SELECT min(id) FROM ds_survey_responses)")

    lead.store.db.call(edit)
    assert _sql(lead, "SELECT count(*) FROM survey_norm_sets") == [(0,)]
    after = survey_domains(lead.store.db, pupil, None, clock)
    assert after.norms_computed_at is not None and before.norms_computed_at is not None
    assert after.norms_computed_at > before.norms_computed_at


def test_a_pupil_without_answers_has_no_judgments(sessions: dict[str, SignedIn]) -> None:
    lead = sessions["project_lead"]
    pupil = int(_sql(lead, "SELECT id FROM ds_students WHERE id NOT IN"
                           " (SELECT pupil_id FROM ds_survey_responses) LIMIT 1")[0][0])
    got = survey_domains(lead.store.db, pupil, None, Clock())
    assert got.school_year is None and got.judgments == () and got.norms_computed_at is None


def test_the_risk_service_checks_the_role_and_logs_each_reading(
    sessions: dict[str, SignedIn]
) -> None:
    from toda_desktop.risk import RiskService

    lead = sessions["project_lead"]
    pupil = _answered(lead, 1)[0]
    got = RiskService(lead.context).domain_judgments(pupil)
    assert got.judgments and all("学年平均" in j.text for j in got.judgments)
    with pytest.raises(PermissionDenied):
        RiskService(sessions["truancy_support"].context).domain_judgments(pupil)
    opener = reader_opener(lead.store.db)  # (the entry names the pupil: it is sealed)
    logged = lead.store.db.call(lambda c: audit.query(
        c, action="view_survey_domains", pupil_id=pupil, opener=opener))
    assert len(logged) == 1
