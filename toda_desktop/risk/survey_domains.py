"""A pupil's survey domains against the grade, for the karte — from norms kept per data
version.

The grade norms of a school year need the whole year's answers (seconds to read on a city);
a karte needs them on every opening. So they are computed once per data version and kept in
the store (``storage.repos.survey_norms``); opening a karte then reads only the pupil's own
rows. The first karte after an import, a rollback or an edit computes the year's norms again:
the answers are read on the database thread, the norms computed on the caller's thread (the
database thread is free meanwhile) and written in one short transaction.

Permission checks and audit stay with the caller (``RiskService.domain_judgments``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from analysis.survey_norms import DomainJudgment, Norm, grade_norms, judge, pupil_values
from storage.connection import Connection, transaction
from storage.database import Database
from storage.repos import risk as risk_repo
from storage.repos import survey_norms as repo
from toda_desktop.risk.frames import read_frames


@dataclass(frozen=True)
class SurveyDomains:
    """The judgments of one pupil's school year and when the grade norms were computed."""

    school_year: int | None  # None: the pupil answered no survey
    judgments: tuple[DomainJudgment, ...]
    norms_computed_at: datetime | None


@dataclass(frozen=True)
class _Read:
    year: int | None
    grade: int | None
    shares: list[tuple[str | None, float | None]]
    version: str
    kept: repo.NormSet | None
    norms: list[repo.NormRow]


def _read(conn: Connection, pupil_id: int, school_year: int | None) -> _Read:
    years = repo.pupil_survey_years(conn, pupil_id)
    if not years:
        return _Read(None, None, [], "", None, [])
    year = years[-1] if school_year is None else int(school_year)
    grade = repo.pupil_grade(conn, pupil_id, year)
    shares = repo.pupil_shares(conn, pupil_id, year)
    version = risk_repo.data_version(conn)
    kept = repo.norm_set(conn, year)
    fresh = kept is not None and kept.data_version == version
    rows = repo.norms(conn, year, grade) if fresh and grade is not None else []
    return _Read(year, grade, shares, version, kept if fresh else None, rows)


def compute_norms(db: Database, school_year: int, now: datetime) -> repo.NormSet:
    """Compute the year's grade norms from the store and keep them (any kept before for
    that year are replaced)."""
    def read(conn: Connection) -> tuple[str, dict[str, pd.DataFrame]]:
        return (risk_repo.data_version(conn),
                read_frames(conn, ("enrollments", "survey"), (school_year, school_year)))

    version, tables = db.read(read)  # a long read: never on the writer
    rows: list[repo.NormRow] = []
    if "survey" in tables and "enrollments" in tables:
        norms = grade_norms(tables["survey"], tables["enrollments"], school_year)
        rows = [repo.NormRow(grade, domain, n.mean, n.sd, n.pupils)
                for (grade, domain), n in norms.items()]
    del tables
    kept = repo.NormSet(school_year, version, now.replace(microsecond=0).isoformat())

    def write(conn: Connection) -> None:
        with transaction(conn):
            repo.replace(conn, school_year, version, kept.computed_at, rows)

    db.call(write)
    return kept


def survey_domains(db: Database, pupil_id: int, school_year: int | None,
                   clock: Callable[[], datetime]) -> SurveyDomains:
    """The pupil's survey domains against the grade (latest year with answers by default),
    computing the year's norms first when none are kept for the current data."""
    got = db.call(lambda c: _read(c, pupil_id, school_year))
    if got.year is None:
        return SurveyDomains(None, (), None)
    kept, norm_rows = got.kept, got.norms
    if kept is None:
        kept = compute_norms(db, got.year, clock())
        if got.grade is not None:
            year, grade = got.year, got.grade
            norm_rows = db.call(lambda c: repo.norms(c, year, grade))
    computed = datetime.fromisoformat(kept.computed_at)
    if got.grade is None or not got.shares:
        return SurveyDomains(got.year, (), computed)
    rows = pd.DataFrame(got.shares, columns=["domain", "positive_share"]).dropna(
        subset=["domain"])
    values = pupil_values(rows)
    by_domain = {r.domain: Norm(r.mean, r.sd, r.pupils) for r in norm_rows}
    return SurveyDomains(got.year, tuple(judge(values, by_domain)), computed)
