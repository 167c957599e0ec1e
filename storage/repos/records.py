"""Editing single values and exporting the rows of one dataset kind.

Column names come from the registry (checked identifiers), values are always bound.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from storage.connection import Connection
from storage.registry import DatasetKind


def get_value(conn: Connection, kind: DatasetKind, record_id: int, column: str) -> object:
    kind.column(column)  # refuses unknown columns
    row = conn.execute(f"SELECT {column} FROM {kind.table} WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise KeyError(record_id)
    return row[0]


def set_value(
    conn: Connection, kind: DatasetKind, record_id: int, column: str, value: object
) -> None:
    if not kind.column(column).stored:
        raise KeyError(column)
    conn.execute(f"UPDATE {kind.table} SET {column} = ? WHERE id = ?", (value, record_id))


def pupil_of(conn: Connection, kind: DatasetKind, record_id: int) -> int | None:
    if not kind.pupil:
        return None
    column = "id" if kind.master else "pupil_id"
    row = conn.execute(f"SELECT {column} FROM {kind.table} WHERE id = ?", (record_id,)).fetchone()
    return None if row is None else int(row[0])


def export_rows(
    conn: Connection, kind: DatasetKind, columns: Sequence[str]
) -> Iterator[tuple[object, ...]]:
    """Rows of the kind with the linked pupil's 宛名番号 first (pupil kinds)."""
    selected = ", ".join(f"t.{c}" for c in columns)
    if kind.links_to_pupil:
        sql = (f"SELECT p.address_code, {selected} FROM {kind.table} t"
               " JOIN ds_students p ON p.id = t.pupil_id ORDER BY t.id")
    else:
        sql = f"SELECT {selected} FROM {kind.table} t ORDER BY t.id"
    yield from conn.execute(sql)
