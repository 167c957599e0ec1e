"""The research extract's reads (issue 13): projects, their keys, pupil-years, the chosen
columns of a kind in chosen years.

A project's name, purpose and approval live in the master's group file; its key lives apart,
in the ``research`` group's file (``research_project_keys``), under a key sealed only to roles
with ``research_export`` — so the two are read on their own lanes, never joined.

Table and column names come from the registry (checked at load); values are bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.connection import Connection
from storage.key_groups import RESEARCH
from storage.registry import DatasetKind

Row = tuple[object, ...]


@dataclass(frozen=True)
class ProjectRow:
    name: str
    purpose: str
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None


_PROJECT = ("SELECT name, purpose, created_by, created_at, approved_by, approved_at"
            " FROM research_projects")


def _project(row: Row) -> ProjectRow:
    return ProjectRow(str(row[0]), str(row[1]), str(row[2]), str(row[3]),
                      None if row[4] is None else str(row[4]),
                      None if row[5] is None else str(row[5]))


def projects(conn: Connection) -> list[ProjectRow]:
    return [_project(r) for r in conn.execute(f"{_PROJECT} ORDER BY created_at, name")]


def project(conn: Connection, name: str) -> ProjectRow | None:
    row = conn.execute(f"{_PROJECT} WHERE name = ?", (name,)).fetchone()
    return None if row is None else _project(row)


def add_project(conn: Connection, row: ProjectRow) -> None:
    conn.execute(
        "INSERT INTO research_projects (name, purpose, created_by, created_at,"
        " approved_by, approved_at) VALUES (?, ?, ?, ?, ?, ?)",
        (row.name, row.purpose, row.created_by, row.created_at, row.approved_by,
         row.approved_at))


def holds_project_keys(conn: Connection) -> bool:
    """Whether the research group's file is attached here (its key is held)."""
    return conn.execute("SELECT 1 FROM pragma_database_list WHERE name = ?",
                        (RESEARCH.schema,)).fetchone() is not None


def project_key(conn: Connection, name: str) -> bytes | None:
    """The project's key, on the research group's lane (None: no key for that name)."""
    row = conn.execute("SELECT project_key FROM research_project_keys WHERE name = ?",
                       (name,)).fetchone()
    if row is None:
        return None
    key = row[0]
    assert isinstance(key, bytes)
    return key


def put_project_key(conn: Connection, name: str, key: bytes) -> None:
    """Keep a new project's key (a key left by a registration that did not finish is
    replaced: no extract was made with it)."""
    conn.execute("INSERT OR REPLACE INTO research_project_keys (name, project_key)"
                 " VALUES (?, ?)", (name, key))


def approve_project(conn: Connection, name: str, approved_by: str, at: str) -> bool:
    cur = conn.execute(
        "UPDATE research_projects SET approved_by = ?, approved_at = ?"
        " WHERE name = ? AND approved_by IS NULL", (approved_by, at, name))
    return cur.rowcount == 1


def school_years(conn: Connection) -> list[int]:
    """The school years with enrollments, newest first."""
    return [int(r[0]) for r in conn.execute(
        "SELECT DISTINCT school_year FROM ds_enrollments ORDER BY school_year DESC")]


def pupil_years(conn: Connection, years: Sequence[int]) -> list[Row]:
    """(pupil_id, school_year, school_code, school_type, grade, sex, birth_date) per pupil
    and year; a pupil enrolled twice in a year counts with the row stored last."""
    marks = ", ".join("?" for _ in years)
    return list(conn.execute(
        "SELECT e.pupil_id, e.school_year, e.school_code, sc.school_type, e.grade, s.sex,"
        " s.birth_date FROM ds_enrollments e JOIN ds_students s ON s.id = e.pupil_id"
        " LEFT JOIN ds_schools sc ON sc.school_code = e.school_code"
        f" WHERE e.school_year IN ({marks}) AND e.id = (SELECT max(e2.id) FROM ds_enrollments"
        " e2 WHERE e2.pupil_id = e.pupil_id AND e2.school_year = e.school_year)"
        " ORDER BY e.school_year, e.pupil_id", tuple(years)))


def year_expression(kind: DatasetKind) -> str | None:
    """SQL giving a row's school year (April to March), None for a kind without one."""
    if kind.year_column is not None:
        return kind.year_column
    if kind.event_date is not None:
        d = kind.event_date
        return (f"(CAST(substr({d}, 1, 4) AS INTEGER)"
                f" - (CAST(substr({d}, 6, 2) AS INTEGER) < 4))")
    return None


def kind_rows(conn: Connection, kind: DatasetKind, columns: Sequence[str],
              years: Sequence[int]) -> list[Row]:
    """(pupil_id, school_year, *columns) of the kind's linked rows in ``years``."""
    year = year_expression(kind)
    if year is None or not kind.links_to_pupil:
        raise ValueError(f"{kind.name} has no school year or no pupil")
    for column in columns:
        kind.column(column)  # a registry column, hence a safe identifier
    picked = "".join(f", {c}" for c in columns)
    marks = ", ".join("?" for _ in years)
    return list(conn.execute(
        f"SELECT pupil_id, {year} AS y{picked} FROM {kind.table}"
        f" WHERE pupil_id IS NOT NULL AND {year} IN ({marks}) ORDER BY y, pupil_id, id",
        tuple(years)))
