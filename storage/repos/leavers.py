"""Former pupils and the day each one left: where every retention period starts counting.

The register has no leave-date column, so the rule is read from the enrolments (one rule for
retention and for hiding former pupils in search, karte and exports; the SQL is
``former_sql`` below, which every one of them uses):

* a pupil's **last year** is the latest ``ds_enrollments.school_year`` the pupil has;
* a pupil is **former** when the school of that last enrolment already has a newer register
  without them. Registers arrive school by school early in a school year, so the store's
  latest year (``Y``) alone cannot tell: a pupil whose school has not sent its ``Y`` register
  yet stays current. In full, with ``L`` the pupil's last year:

  - ``L = Y``: current (the year is not over; a 中3 of ``Y`` has not graduated yet);
  - ``L = Y - 1``: former when every school the pupil was enrolled at in ``L`` (one, or two
    after a transfer within the city during the year) has its ``Y`` register in the store;
    current while one of them has not;
  - ``L < Y - 1``: former. A school that closed or merged never sends a newer register;
    registers are assumed to arrive within a year of each other, so a school with none for
    the latest two years (``Y`` and ``Y - 1``) is taken as closed and its pupils who are in
    no later register as gone. (Their leave date is still their own last year; only the
    hiding waits until the store's ``Y`` is two years past it.)
* the **leave date** is the last day of the last year (31 March,
  ``kernel.school_calendar.school_year_end``);
* the pupil **graduated** when the last year's enrolment is 中学校 grade 3 or grade 9
  (義務教育学校), else **transferred** out (moved away, or left the city's schools).

A pupil with no enrolment at all is neither current nor former (no year to count from) and is
left alone. The tables are in the master's group file: without that key there are no leavers
to find (``None`` from ``latest_school_year``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
CHUNK = 500


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


def former_sql(pupil: str, last_year: str, latest: int) -> tuple[str, tuple[int, ...]]:
    """The rule as an SQL condition, true for a former pupil, and its parameters.

    ``pupil`` and ``last_year`` are SQL expressions for the pupil's id and last enrolled year;
    ``latest`` is the store's latest school year. The schools still waiting for their
    ``latest`` register are found once per statement from the (school_year, school_code)
    index: those with a register for the year before and none for ``latest``.
    """
    before = latest - 1
    sql = (
        f"({last_year} < ? OR ({last_year} = ? AND {pupil} NOT IN ("
        "SELECT pupil_id FROM ds_enrollments WHERE school_year = ? AND school_code IN ("
        "SELECT school_code FROM ds_enrollments WHERE school_year = ?"
        " EXCEPT SELECT school_code FROM ds_enrollments WHERE school_year = ?))))"
    )
    return sql, (before, before, before, before, latest)


def _leavers_sql(where: str, pupils: int = 0) -> str:
    """Leavers among all pupils, or among ``pupils`` ids (bound first)."""
    only = f" WHERE pupil_id IN ({', '.join('?' * pupils)})" if pupils else ""
    return f"""
    WITH last AS (SELECT pupil_id, max(school_year) AS last_year FROM ds_enrollments{only}
                  GROUP BY pupil_id)
    SELECT l.pupil_id, l.last_year,
           max(CASE WHEN e.grade = ? OR (sc.school_type = ? AND e.grade = ?) THEN 1 ELSE 0 END)
    FROM last l
    JOIN ds_enrollments e ON e.pupil_id = l.pupil_id AND e.school_year = l.last_year
    LEFT JOIN ds_schools sc ON sc.school_code = e.school_code
    WHERE {where}
    GROUP BY l.pupil_id, l.last_year
    ORDER BY l.pupil_id
"""


def _graduation_params() -> tuple[object, ...]:
    ((school_type, grade),) = GRADUATION_GRADE.items()
    return (LAST_COMPULSORY_GRADE, school_type, grade)


def iter_leavers(conn: Connection, latest: int | None = None) -> Iterator[Leaver]:
    """Every former pupil, by pupil id. ``latest``: the store's latest school year (read
    when not given)."""
    if latest is None:
        latest = latest_school_year(conn)
        if latest is None:
            return
    former, params = former_sql("l.pupil_id", "l.last_year", latest)
    for pupil_id, last_year, graduated in conn.execute(
        _leavers_sql(former), (*_graduation_params(), *params)
    ):
        yield Leaver(int(pupil_id), int(last_year), GRADUATED if graduated else TRANSFERRED)


def leavers(conn: Connection, latest: int | None = None) -> list[Leaver]:
    return list(iter_leavers(conn, latest))


def leavers_among(conn: Connection, pupil_ids: Iterable[int]) -> dict[int, Leaver]:
    """The former pupils among these, by id (one statement per 500: a page of search hits
    costs one pass, not one per pupil)."""
    latest = latest_school_year(conn)
    if latest is None:
        return {}
    former, params = former_sql("l.pupil_id", "l.last_year", latest)
    wanted = sorted({int(p) for p in pupil_ids})
    out: dict[int, Leaver] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start: start + CHUNK]
        for pupil_id, last_year, graduated in conn.execute(
            _leavers_sql(former, len(chunk)), (*chunk, *_graduation_params(), *params)
        ):
            out[int(pupil_id)] = Leaver(int(pupil_id), int(last_year),
                                        GRADUATED if graduated else TRANSFERRED)
    return out


def leaver(conn: Connection, pupil_id: int) -> Leaver | None:
    """One pupil's leave (None: a current pupil, or one with no enrolment)."""
    return leavers_among(conn, (pupil_id,)).get(pupil_id)


def is_former(conn: Connection, pupil_id: int) -> bool:
    return leaver(conn, pupil_id) is not None


__all__ = [
    "GRADUATED",
    "LEAVE_REASONS",
    "TRANSFERRED",
    "Leaver",
    "former_sql",
    "is_former",
    "iter_leavers",
    "latest_school_year",
    "leaver",
    "leavers",
    "leavers_among",
]
