"""The 要因分析's inputs for one school year, reduced in SQL to a row per pupil.

The analysis needs per pupil only the year's absence and school days, the mean share of
positive answers per survey domain and the mean academic level. Reading the panel's month,
round and subject rows instead (``storage.repos.risk.read_panel``) made some 330,000 rows of
Python objects on the full demo city, and building them held the interpreter's lock for over
a second while a search on another thread waited for its turn; reduced here they are about
a third as many rows of three columns. The survey answers are joined answer first: the plan
SQLite picks for ``SURVEY_SHARES`` with a year filter scans the year's answers once per
survey item (4–5 s on the full demo city against 0.8 s).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection
from storage.placement import table_names

Row = tuple[object, ...]


@dataclass(frozen=True)
class YearInputs:
    """One school year's rows; a table the store lacks is None.

    - ``attendance``: (pupil_id, absence_days, school_days), summed over the year's months
    - ``enrollments``: (pupil_id, grade, school_code, special_needs_class, japanese_support)
      in the order they were stored (the last row of a pupil counts)
    - ``survey``: (pupil_id, domain, positive_share), the share of the domain's items answered
      positively per survey and round, averaged over the year's surveys and rounds
    - ``academic``: (pupil_id, level), the mean of the year's numeric levels
    - ``sexes``: (pupil_id, sex) of the pupils enrolled that year
    """

    attendance: list[Row]
    enrollments: list[Row] | None
    survey: list[Row] | None
    academic: list[Row] | None
    sexes: list[Row] | None


# CROSS JOIN keeps the answers as the outer loop (each answer then finds its enrollment and
# its item by index); the share of an answer is as in ``storage.repos.risk.SURVEY_SHARES``.
_SURVEY_DOMAINS = (
    "SELECT pupil_id, domain, avg(positive_share) FROM ("
    " SELECT r.pupil_id, r.survey_code, r.round, i.domain,"
    "  avg(instr(',' || replace(i.positive_answers, ' ', '') || ',',"
    "            ',' || r.answer || ',') > 0) AS positive_share"
    " FROM ds_survey_responses r"
    " CROSS JOIN ds_enrollments e CROSS JOIN ds_survey_items i"
    " WHERE r.school_year = ? AND r.pupil_id IS NOT NULL"
    "  AND e.pupil_id = r.pupil_id AND e.school_year = r.school_year"
    "  AND i.survey_code = r.survey_code AND i.school_year = r.school_year"
    "  AND i.grade = e.grade AND i.item_code = r.item_code AND i.domain IS NOT NULL"
    " GROUP BY r.pupil_id, r.survey_code, r.round, i.domain)"
    " GROUP BY pupil_id, domain ORDER BY pupil_id, domain"
)


def _rows(conn: Connection, sql: str, school_year: int) -> list[Row]:
    return [tuple(r) for r in conn.execute(sql, (school_year,)).fetchall()]


def read_year(conn: Connection, school_year: int) -> YearInputs:
    """The year's inputs (see :class:`YearInputs`); the attendance table must exist."""
    have = table_names(conn)  # the store file's and each attached group file's
    attendance = _rows(
        conn,
        "SELECT pupil_id, total(absence_days), total(school_days) FROM ds_attendance_monthly"
        " WHERE school_year = ? AND pupil_id IS NOT NULL GROUP BY pupil_id ORDER BY pupil_id",
        school_year)
    enrollments = None if "ds_enrollments" not in have else _rows(
        conn,
        "SELECT pupil_id, grade, school_code, special_needs_class, japanese_support"
        " FROM ds_enrollments WHERE school_year = ? ORDER BY id",
        school_year)
    survey = None
    if {"ds_survey_responses", "ds_survey_items", "ds_enrollments"} <= have:
        survey = _rows(conn, _SURVEY_DOMAINS, school_year)
    academic = None if "ds_academic_results" not in have else _rows(
        conn,
        "SELECT pupil_id, avg(CASE WHEN typeof(level) IN ('integer', 'real') THEN level END)"
        " FROM ds_academic_results WHERE school_year = ? AND pupil_id IS NOT NULL"
        " GROUP BY pupil_id ORDER BY pupil_id",
        school_year)
    sexes = None
    if {"ds_students", "ds_enrollments"} <= have:
        sexes = _rows(
            conn,
            "SELECT id, sex FROM ds_students WHERE id IN"
            " (SELECT pupil_id FROM ds_enrollments WHERE school_year = ?)",
            school_year)
    return YearInputs(attendance, enrollments, survey, academic, sexes)
