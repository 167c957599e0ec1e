"""The kept survey grade norms (migration 8) and the one pupil's rows they are used with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.connection import Connection
from storage.repos.risk import SURVEY_SHARES, SURVEY_SHARES_GROUPS


@dataclass(frozen=True)
class NormSet:
    school_year: int
    data_version: str
    computed_at: str


@dataclass(frozen=True)
class NormRow:
    grade: int
    domain: str
    mean: float
    sd: float
    pupils: int


def norm_set(conn: Connection, school_year: int) -> NormSet | None:
    row = conn.execute(
        "SELECT school_year, data_version, computed_at FROM survey_norm_sets"
        " WHERE school_year = ?", (school_year,)).fetchone()
    return None if row is None else NormSet(int(row[0]), str(row[1]), str(row[2]))


def norms(conn: Connection, school_year: int, grade: int) -> list[NormRow]:
    rows = conn.execute(
        "SELECT grade, domain, mean, sd, pupils FROM survey_norms"
        " WHERE school_year = ? AND grade = ? ORDER BY domain", (school_year, grade)).fetchall()
    return [NormRow(int(r[0]), str(r[1]), float(r[2]), float(r[3]), int(r[4])) for r in rows]


def replace(conn: Connection, school_year: int, data_version: str, computed_at: str,
            rows: Iterable[NormRow]) -> None:
    """The norms of one school year, in place of any kept before (within the caller's
    transaction)."""
    conn.execute("DELETE FROM survey_norms WHERE school_year = ?", (school_year,))
    conn.executemany(
        "INSERT INTO survey_norms (school_year, grade, domain, mean, sd, pupils)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(school_year, r.grade, r.domain, r.mean, r.sd, r.pupils) for r in rows])
    conn.execute(
        "INSERT INTO survey_norm_sets (school_year, data_version, computed_at) VALUES (?, ?, ?)"
        " ON CONFLICT(school_year) DO UPDATE SET data_version = excluded.data_version,"
        " computed_at = excluded.computed_at",
        (school_year, data_version, computed_at))


def pupil_survey_years(conn: Connection, pupil_id: int) -> list[int]:
    """School years in which the pupil answered a survey, in order."""
    rows = conn.execute(
        "SELECT DISTINCT school_year FROM ds_survey_responses WHERE pupil_id = ?"
        " ORDER BY school_year", (pupil_id,)).fetchall()
    return [int(r[0]) for r in rows]


def pupil_grade(conn: Connection, pupil_id: int, school_year: int) -> int | None:
    """The pupil's grade in the school year (the last enrollment row of the year counts, as
    in ``analysis.survey_norms.year_grades``)."""
    row = conn.execute(
        "SELECT grade FROM ds_enrollments WHERE pupil_id = ? AND school_year = ?"
        " ORDER BY id DESC LIMIT 1", (pupil_id, school_year)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def pupil_shares(conn: Connection, pupil_id: int, school_year: int
                 ) -> list[tuple[str | None, float | None]]:
    """The pupil's rows of the survey table of ``read_panel`` for one school year:
    (domain, share of positive answers) per survey, round and domain."""
    rows = conn.execute(
        f"SELECT domain, positive_share FROM ({SURVEY_SHARES}"
        f" WHERE r.pupil_id = ? AND r.school_year = ?{SURVEY_SHARES_GROUPS})",
        (pupil_id, school_year)).fetchall()
    return [(None if r[0] is None else str(r[0]), None if r[1] is None else float(r[1]))
            for r in rows]
