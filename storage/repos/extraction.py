"""SQL of condition extraction: the population of a school year, field values and aggregates
per pupil within a scope, survey positivity per pupil, rolling-window counts, and the saved
extraction definitions.

Columns come from the registry (checked identifiers) and operators from a fixed table;
values are always bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kernel.school_calendar import school_year_end, school_year_start
from storage.connection import Connection
from storage.registry import DatasetKind
from storage.repos.karte import ITEMS_CTE, items_join, positive
from storage.school_calendar_sql import calendar_month_text

SQL_OPERATORS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "==": "=", "!=": "!="}
SQL_AGGREGATES = {"sum": "sum", "max": "max", "min": "min", "avg": "avg", "count": "count"}


@dataclass(frozen=True)
class Scope:
    """Which rows of a kind count: a school year, a month, a survey round, row tests."""

    school_year: int | None = None
    month: int | None = None
    round: int | None = None
    tests: tuple[tuple[str, str, object], ...] = ()  # (column, op, value or tuple for in)


@dataclass(frozen=True)
class PopulationRow:
    pupil_id: int
    address_code: str
    name: str
    name_kana: str
    birth_date: str | None
    school_code: str | None
    school_name: str | None
    grade: int | None
    class_name: str | None
    seat_number: int | None


def population(conn: Connection, school_year: int) -> dict[int, PopulationRow]:
    """Pupils enrolled in the school year, with their (last) enrollment of that year."""
    out = {}
    for r in conn.execute(
        "SELECT e.pupil_id, max(e.id), st.address_code, st.name, st.name_kana, st.birth_date,"
        " e.school_code, sc.school_name, e.grade, e.class_name, e.seat_number"
        " FROM ds_enrollments e JOIN ds_students st ON st.id = e.pupil_id"
        " LEFT JOIN ds_schools sc ON sc.school_code = e.school_code"
        " WHERE e.school_year = ? GROUP BY e.pupil_id",
        (school_year,),
    ):
        pid = int(r[0])
        out[pid] = PopulationRow(
            pid, str(r[2]), str(r[3] or ""), str(r[4] or ""), _str(r[5]), _str(r[6]),
            _str(r[7]), _int(r[8]), _str(r[9]), _int(r[10]),
        )
    return out


def survey_catalogue(conn: Connection) -> list[tuple[str, str, str, str]]:
    """Per survey in the store: its code and, comma-separated, its rounds, subjects and the
    domains of its items."""
    rounds = conn.execute(
        "SELECT survey_code, group_concat(DISTINCT coalesce(round, 1)),"
        " group_concat(DISTINCT subject) FROM ds_survey_responses GROUP BY survey_code"
    ).fetchall()
    domains = dict(conn.execute(
        "SELECT survey_code, group_concat(DISTINCT domain) FROM ds_survey_items"
        " GROUP BY survey_code").fetchall())
    return [(str(c), str(r or ""), str(s or ""), str(domains.get(c) or ""))
            for c, r, s in rounds]


def latest_school_year(conn: Connection) -> int | None:
    value = conn.execute("SELECT max(school_year) FROM ds_enrollments").fetchone()[0]
    return None if value is None else int(value)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _pupil(kind: DatasetKind) -> str:
    return "t.id" if kind.master else "t.pupil_id"


def scope_sql(kind: DatasetKind, scope: Scope, params: list[object]) -> str:
    """The WHERE clause (without WHERE) of a scope on table alias ``t``; "1" when empty."""
    out: list[str] = []
    if scope.school_year is not None:
        if kind.year_column is not None:
            out.append("t.school_year = ?")
            params.append(scope.school_year)
        elif kind.event_date is not None:
            out.append(f"t.{kind.event_date} BETWEEN ? AND ?")
            params += [school_year_start(scope.school_year).isoformat(),
                       school_year_end(scope.school_year).isoformat()]
    if scope.month is not None:
        if kind.has_column("month"):
            out.append("t.month = ?")
            params.append(scope.month)
        elif kind.event_date is not None:
            out.append(f"substr(t.{kind.event_date}, 6, 2) = ?")
            params.append(f"{scope.month:02d}")
    if scope.round is not None and kind.has_column("round"):
        out.append("coalesce(t.round, 1) = ?")
        params.append(scope.round)
    for column, op, value in scope.tests:
        kind.column(column)  # refuses unknown columns
        if op in ("in", "not_in"):
            values = list(value) if isinstance(value, tuple | list) else [value]
            marks = ", ".join("?" for _ in values) or "NULL"
            out.append(f"t.{column} {'NOT IN' if op == 'not_in' else 'IN'} ({marks})")
            params += values
        elif value is None:
            out.append(f"t.{column} IS {'NOT ' if op == '!=' else ''}NULL")
        else:
            out.append(f"t.{column} {SQL_OPERATORS[op]} ?")
            params.append(value)
    return " AND ".join(out) or "1"


def _period_expr(kind: DatasetKind) -> str:
    if kind.year_column is not None and kind.has_column("month"):
        return calendar_month_text("t.school_year", "t.month")
    if kind.event_date is not None:
        return f"t.{kind.event_date}"
    if kind.year_column is not None:
        return "CAST(t.school_year AS TEXT)"
    return "NULL"


def field_rows(
    conn: Connection, kind: DatasetKind, column: str, scope: Scope
) -> list[tuple[int, object, str | None]]:
    """(pupil, value, period) of every row in scope with a value; the period is
    "YYYY-MM" (a calendar month), an event date or a school year."""
    kind.column(column)
    params: list[object] = []
    where = scope_sql(kind, scope, params)
    return [
        (int(p), v, _str(when))
        for p, v, when in conn.execute(
            f"SELECT {_pupil(kind)}, t.{column}, {_period_expr(kind)} FROM {kind.table} t"
            f" WHERE {where} AND t.{column} IS NOT NULL",
            params,
        )
    ]


def field_aggregate(
    conn: Connection, kind: DatasetKind, column: str, aggregate: str, scope: Scope
) -> dict[int, float]:
    kind.column(column)
    fn = SQL_AGGREGATES[aggregate]
    params: list[object] = []
    where = scope_sql(kind, scope, params)
    return {
        int(p): float(v)
        for p, v in conn.execute(
            f"SELECT {_pupil(kind)}, {fn}(t.{column}) FROM {kind.table} t"
            f" WHERE {where} AND t.{column} IS NOT NULL GROUP BY {_pupil(kind)}",
            params,
        )
        if v is not None
    }


def survey_positivity(
    conn: Connection, kind: DatasetKind, scope: Scope, survey_code: str,
    domain: str | None = None, subject: str | None = None,
) -> dict[int, tuple[int, int]]:
    """(positive answers, answers) per pupil for one instrument within the scope."""
    params: list[object] = []
    where = scope_sql(kind, scope, params)
    extra = " AND t.survey_code = ?"
    params.append(survey_code)
    if domain is not None:
        extra += " AND coalesce(iy.domain, ia.domain) = ?"
        params.append(domain)
    if subject is not None:
        extra += " AND t.subject = ?"
        params.append(subject)
    return {
        int(p): (int(pos), int(n))
        for p, pos, n in conn.execute(
            f"WITH {ITEMS_CTE} SELECT t.pupil_id, sum({positive('t')}), count(*)"
            f" FROM {kind.table} t{items_join('t')}"
            f" WHERE {where}{extra} AND coalesce(iy.pos, ia.pos) IS NOT NULL"
            " AND t.answer IS NOT NULL GROUP BY t.pupil_id",
            params,
        )
    }


def survey_positivity_rounds(
    conn: Connection, kind: DatasetKind, scope: Scope, rounds: Sequence[int],
    survey_code: str, domain: str | None = None, subject: str | None = None,
) -> dict[int, dict[int, tuple[int, int]]]:
    """``survey_positivity`` of several rounds in one pass over the answers (a change
    between two rounds reads them once, not twice): round → pupil → (positive, answers).
    ``scope`` names no round; the rounds are matched as ``survey_positivity`` matches one."""
    if scope.round is not None:
        raise ValueError("the rounds are given apart from the scope")
    params: list[object] = []
    where = scope_sql(kind, scope, params)
    marks = ", ".join("?" for _ in rounds) or "NULL"
    extra = f" AND coalesce(t.round, 1) IN ({marks}) AND t.survey_code = ?"
    params += [*rounds, survey_code]
    if domain is not None:
        extra += " AND coalesce(iy.domain, ia.domain) = ?"
        params.append(domain)
    if subject is not None:
        extra += " AND t.subject = ?"
        params.append(subject)
    out: dict[int, dict[int, tuple[int, int]]] = {int(r): {} for r in rounds}
    for rnd, p, pos, n in conn.execute(
        f"WITH {ITEMS_CTE} SELECT coalesce(t.round, 1), t.pupil_id, sum({positive('t')}),"
        f" count(*) FROM {kind.table} t{items_join('t')}"
        f" WHERE {where}{extra} AND coalesce(iy.pos, ia.pos) IS NOT NULL"
        " AND t.answer IS NOT NULL GROUP BY 1, 2",
        params,
    ):
        out[int(rnd)][int(p)] = (int(pos), int(n))
    return out


def window_counts(
    conn: Connection, kind: DatasetKind, window_days: int, scope: Scope
) -> dict[int, tuple[int, str]]:
    """Per pupil: the most records within any ``window_days`` days, and the window's end."""
    if kind.event_date is None:
        raise ValueError(f"{kind.name} has no event date")
    days = int(window_days) - 1
    if days < 0:
        raise ValueError("window_days must be positive")
    d = f"t.{kind.event_date}"
    params: list[object] = []
    where = scope_sql(kind, scope, params)
    sql = (
        f"SELECT pid, max(n), d FROM (SELECT {_pupil(kind)} AS pid, {d} AS d,"
        f" count(*) OVER (PARTITION BY {_pupil(kind)} ORDER BY julianday({d})"
        f" RANGE BETWEEN {days:d} PRECEDING AND CURRENT ROW) AS n"
        f" FROM {kind.table} t WHERE {where} AND {d} IS NOT NULL) GROUP BY pid"
    )
    return {int(p): (int(n), str(end)) for p, n, end in conn.execute(sql, params)}


# -- saved extractions ---------------------------------------------------------------------


@dataclass(frozen=True)
class SavedRow:
    id: int
    name: str
    definition: str
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


_SAVED = "id, name, definition, created_by, created_at, updated_by, updated_at"


def _saved(row: Sequence[object]) -> SavedRow:
    return SavedRow(int(str(row[0])), *(str(v) for v in row[1:]))


def save(conn: Connection, name: str, definition: str, actor: str, *, at: datetime) -> int:
    """Insert or replace the definition stored under this name; returns its id."""
    now = at.isoformat(timespec="seconds")
    conn.execute(
        "INSERT INTO saved_extractions (name, definition, created_by, created_at, updated_by,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
        " definition = excluded.definition, updated_by = excluded.updated_by,"
        " updated_at = excluded.updated_at",
        (name, definition, actor, now, actor, now),
    )
    return int(conn.execute("SELECT id FROM saved_extractions WHERE name = ?",
                            (name,)).fetchone()[0])


def all_saved(conn: Connection) -> list[SavedRow]:
    return [_saved(r) for r in conn.execute(
        f"SELECT {_SAVED} FROM saved_extractions ORDER BY name")]


def get_saved(conn: Connection, saved_id: int) -> SavedRow | None:
    row = conn.execute(f"SELECT {_SAVED} FROM saved_extractions WHERE id = ?",
                       (saved_id,)).fetchone()
    return None if row is None else _saved(row)


def delete_saved(conn: Connection, saved_id: int) -> bool:
    return conn.execute("DELETE FROM saved_extractions WHERE id = ?", (saved_id,)).rowcount > 0
