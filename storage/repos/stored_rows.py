"""The stored rows of a dataset kind as the import reads them: to link a file (the master and
enrollments), to compare it (rows that may share a key, in chunks), to show an overwrite
(rows by id), to warn of a correction (a pupil's occasions), and to overwrite or refuse a
rollback. Plain tuples: the import builds its frames from them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from storage.connection import Connection
from storage.placement import has_table
from storage.registry import OCCURRENCE, DatasetKind

Row = tuple[Any, ...]
PUPIL_COLUMNS = ("id", "address_code", "name", "name_kana", "birth_date", "sex")
ENROLLMENT_COLUMNS = ("pupil_id", "school_year", "school_code", "grade", "class_name",
                      "seat_number", "pref_id", "google_account")
_IN_CHUNK = 500  # ids bound per query (SQLite's variable limit is far above)


def linkage_pupils(conn: Connection) -> list[Row]:
    return conn.execute(f"SELECT {', '.join(PUPIL_COLUMNS)} FROM ds_students").fetchall()


def linkage_enrollments(conn: Connection) -> list[Row]:
    return conn.execute(f"SELECT {', '.join(ENROLLMENT_COLUMNS)} FROM ds_enrollments").fetchall()


def school_types(conn: Connection) -> dict[str, str]:
    """学校コード → 校種 (empty before the schools' file is imported)."""
    if not has_table(conn, "ds_schools"):  # (not attached without the basic group's key)
        return {}
    return {str(c): str(t) for c, t in conn.execute(
        "SELECT school_code, school_type FROM ds_schools") if t}


def record_columns(kind: DatasetKind) -> list[str]:
    """id, pupil, the stored columns and the repeat number: a stored row as compared."""
    return ["id", *(["pupil_id"] if kind.links_to_pupil else []),
            *[c.key for c in kind.stored_columns], *([OCCURRENCE] if kind.repeats else [])]


def records_of_years(
    conn: Connection, kind: DatasetKind, years: Sequence[int], chunk: int
) -> Iterator[list[Row]]:
    """The stored rows (``record_columns``) of these school years — all rows when the kind
    has no year or no year is given — ``chunk`` at a time."""
    sql = f"SELECT {', '.join(record_columns(kind))} FROM {kind.table}"
    params: list[object] = []
    if kind.year_column is not None and years:
        sql += f" WHERE {kind.year_column} IN ({', '.join('?' for _ in years)})"
        params = [int(y) for y in years]
    cursor = conn.execute(sql, params)
    while batch := cursor.fetchmany(chunk):
        yield batch


def _where_in(
    conn: Connection, kind: DatasetKind, columns: Sequence[str], column: str,
    values: Sequence[int],
) -> list[Row]:
    fetched: list[Row] = []
    for start in range(0, len(values), _IN_CHUNK):
        part = [int(v) for v in values[start:start + _IN_CHUNK]]
        fetched += conn.execute(
            f"SELECT {', '.join(columns)} FROM {kind.table}"
            f" WHERE {column} IN ({', '.join('?' for _ in part)})", part).fetchall()
    return fetched


def records_by_id(conn: Connection, kind: DatasetKind, ids: Sequence[int]) -> list[Row]:
    """The stored rows ``ids`` (``record_columns``, in no particular order)."""
    return _where_in(conn, kind, record_columns(kind), "id", ids)


def occasions(conn: Connection, kind: DatasetKind, pupil_ids: Sequence[int]) -> list[Row]:
    """(pupil, *kind.occasion) of every stored row of these pupils."""
    return _where_in(conn, kind, ["pupil_id", *kind.occasion], "pupil_id", pupil_ids)


def overwrite(
    conn: Connection, kind: DatasetKind, record_id: int, values: dict[str, Any], batch_id: int
) -> dict[str, Any]:
    """Set ``values`` (column → value) and the batch on one record; returns its old stored
    values and batch (for the rollback)."""
    stored = [c.key for c in kind.stored_columns]
    old = conn.execute(f"SELECT {', '.join(stored)}, batch_id FROM {kind.table} WHERE id = ?",
                       (record_id,)).fetchone()
    assignments = "".join(f"{c} = ?, " for c in values)
    conn.execute(f"UPDATE {kind.table} SET {assignments}batch_id = ? WHERE id = ?",
                 (*values.values(), batch_id, record_id))
    return dict(zip([*stored, "batch_id"], old, strict=True))


def referencing_kind(
    conn: Connection, kinds: Sequence[DatasetKind], batch_id: int
) -> DatasetKind | None:
    """The first kind whose rows from another batch refer to a pupil this batch created."""
    for kind in kinds:
        if not kind.links_to_pupil:
            continue
        hit = conn.execute(
            f"SELECT 1 FROM {kind.table} t JOIN ds_students p ON p.id = t.pupil_id"
            " WHERE p.batch_id = ? AND t.batch_id IS NOT ? LIMIT 1", (batch_id, batch_id)
        ).fetchone()
        if hit is not None:
            return kind
    return None
