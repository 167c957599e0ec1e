"""Former pupils and the day each one left: where every retention period starts counting.

The register has no leave-date column, so the rule is read from the enrolments (one rule for
retention and for hiding former pupils in search):

* a pupil's **last year** is the latest ``ds_enrollments.school_year`` the pupil has;
* a pupil is **former** when that year is before the latest school year in the store (the
  year the office has imported enrolments for: a pupil not in it has left);
* the **leave date** is the last day of the last year (31 March,
  ``kernel.school_calendar.school_year_end``);
* the pupil **graduated** when the last year's enrolment is 中学校 grade 3 or grade 9
  (義務教育学校), else **transferred** out (moved away, or left the city's schools).

A pupil with no enrolment at all is neither current nor former (no year to count from) and is
left alone. The tables are in the master's group file: without that key there are no leavers
to find (``None`` from ``latest_school_year``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from kernel.school_calendar import school_year_end
from storage.connection import Connection, DatabaseError

GRADUATED = "graduated"
TRANSFERRED = "transferred"
LEAVE_REASONS = (GRADUATED, TRANSFERRED)
# (school type, grade) of the last enrolment that means graduation; grade 9 is 義務教育学校's
# last year whatever the school's type says.
GRADUATION_GRADE = {"中学校": 3}
LAST_COMPULSORY_GRADE = 9


@dataclass(frozen=True)
class Leaver:
    """A former pupil: when the pupil left and how."""

    pupil_id: int
    last_year: int  # the school year of the last enrolment
    reason: str  # GRADUATED or TRANSFERRED

    @property
    def left_on(self) -> date:
        """The leave date: the last day of the last enrolled school year."""
        return school_year_end(self.last_year)

    def retention_ends(self, years: int) -> date:
        """The last day of a retention of ``years`` counted from the leave date."""
        return school_year_end(self.last_year + years)

    def is_due(self, years: int, today: date) -> bool:
        """Whether a retention of ``years`` has ended by ``today``."""
        return today > self.retention_ends(years)


def latest_school_year(conn: Connection) -> int | None:
    """The latest school year with enrolments in the store (None: none, or the master's
    group key is not held). The same year search uses to tell current from former pupils."""
    try:
        value = conn.execute("SELECT max(school_year) FROM ds_enrollments").fetchone()[0]
    except DatabaseError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return None if value is None else int(value)


_LEAVERS = """
    WITH last AS (
        SELECT pupil_id, max(school_year) AS last_year FROM ds_enrollments GROUP BY pupil_id
    )
    SELECT l.pupil_id, l.last_year,
           max(CASE WHEN e.grade = ? OR (sc.school_type = ? AND e.grade = ?) THEN 1 ELSE 0 END)
    FROM last l
    JOIN ds_enrollments e ON e.pupil_id = l.pupil_id AND e.school_year = l.last_year
    LEFT JOIN ds_schools sc ON sc.school_code = e.school_code
    WHERE l.last_year < ?
    GROUP BY l.pupil_id, l.last_year
    ORDER BY l.pupil_id
"""


def iter_leavers(conn: Connection, latest: int | None = None) -> Iterator[Leaver]:
    """Every former pupil, by pupil id. ``latest``: the store's latest school year (read
    when not given)."""
    if latest is None:
        latest = latest_school_year(conn)
        if latest is None:
            return
    ((school_type, grade),) = GRADUATION_GRADE.items()
    for pupil_id, last_year, graduated in conn.execute(
        _LEAVERS, (LAST_COMPULSORY_GRADE, school_type, grade, latest)
    ):
        yield Leaver(int(pupil_id), int(last_year), GRADUATED if graduated else TRANSFERRED)


def leavers(conn: Connection, latest: int | None = None) -> list[Leaver]:
    return list(iter_leavers(conn, latest))


def leaver(conn: Connection, pupil_id: int) -> Leaver | None:
    """One pupil's leave (None: a current pupil, or one with no enrolment)."""
    latest = latest_school_year(conn)
    if latest is None:
        return None
    ((school_type, grade),) = GRADUATION_GRADE.items()
    row = conn.execute(
        "SELECT max(e.school_year),"
        " max(CASE WHEN e.school_year = (SELECT max(school_year) FROM ds_enrollments"
        "   WHERE pupil_id = ?) AND (e.grade = ? OR (sc.school_type = ? AND e.grade = ?))"
        "   THEN 1 ELSE 0 END)"
        " FROM ds_enrollments e LEFT JOIN ds_schools sc ON sc.school_code = e.school_code"
        " WHERE e.pupil_id = ?",
        (pupil_id, LAST_COMPULSORY_GRADE, school_type, grade, pupil_id),
    ).fetchone()
    if row is None or row[0] is None or int(row[0]) >= latest:
        return None
    return Leaver(pupil_id, int(row[0]), GRADUATED if row[1] else TRANSFERRED)


def is_former(conn: Connection, pupil_id: int) -> bool:
    return leaver(conn, pupil_id) is not None


__all__ = [
    "GRADUATED",
    "LEAVE_REASONS",
    "TRANSFERRED",
    "Leaver",
    "is_former",
    "iter_leavers",
    "latest_school_year",
    "leaver",
    "leavers",
]
