"""Reading and editing the rows of one dataset kind, with their provenance.

Column names come from the registry (checked identifiers), values are always bound.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from storage.connection import Connection
from storage.registry import DatasetKind


@dataclass(frozen=True)
class RecordRows:
    columns: tuple[str, ...]  # registry keys of the stored columns, in registry order
    rows: tuple[tuple[object, ...], ...]
    ids: tuple[int, ...]
    provenance: tuple[tuple[str, str], ...]  # (source file, imported at) per row


def _order(kind: DatasetKind) -> str:
    if kind.year_column is not None and kind.has_column("month"):
        return "t.school_year, CASE WHEN t.month >= 4 THEN t.month - 4 ELSE t.month + 8 END"
    if kind.event_date is not None:
        return f"t.{kind.event_date}"
    if kind.year_column is not None:
        return f"t.{kind.year_column}"
    return "t.id"


def for_pupil(conn: Connection, kind: DatasetKind, pupil_id: int) -> RecordRows:
    columns = tuple(c.key for c in kind.stored_columns)
    key = "t.id" if kind.master else "t.pupil_id"
    raw = conn.execute(
        f"SELECT t.id, coalesce(b.source_name, ''), coalesce(b.imported_at, ''),"
        f" {', '.join('t.' + c for c in columns)}"
        f" FROM {kind.table} t LEFT JOIN import_batches b ON b.id = t.batch_id"
        f" WHERE {key} = ? ORDER BY {_order(kind)}, t.id",
        (pupil_id,),
    ).fetchall()
    return RecordRows(
        columns=columns,
        rows=tuple(tuple(r[3:]) for r in raw),
        ids=tuple(int(r[0]) for r in raw),
        provenance=tuple((str(r[1]), str(r[2])) for r in raw),
    )


def count_for_pupil(conn: Connection, kind: DatasetKind, pupil_id: int) -> int:
    key = "id" if kind.master else "pupil_id"
    return int(conn.execute(f"SELECT count(*) FROM {kind.table} WHERE {key} = ?",
                            (pupil_id,)).fetchone()[0])


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
