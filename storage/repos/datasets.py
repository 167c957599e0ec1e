"""Rows of the registry's dataset kinds: bulk insert, counts per school year, latest date."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from storage.connection import Connection
from storage.errors import Cancelled
from storage.placement import has_table
from storage.registry import OCCURRENCE, DatasetKind
from storage.school_calendar_sql import school_year_of_date

Row = Sequence[object]
CHUNK = 5_000


@dataclass(frozen=True)
class KindCounts:
    kind: str
    by_year: dict[int, int]
    total: int
    latest: date | None


def insert_rows(
    conn: Connection,
    kind: DatasetKind,
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    batch_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """Insert rows (values in ``columns`` order) in chunks; the caller owns the transaction.

    ``columns`` may name ``pupil_id``, ``source_row``, the kind's stored columns and, for a
    kind whose identical rows may repeat, ``occurrence``.
    """
    allowed = {c.key for c in kind.stored_columns} | {"pupil_id", "source_row"}
    if kind.repeats:
        allowed.add(OCCURRENCE)
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise ValueError(f"{kind.name}: not stored columns {unknown}")
    names = [*columns, "batch_id"]
    sql = (
        f"INSERT INTO {kind.table} ({', '.join(names)})"
        f" VALUES ({', '.join('?' for _ in names)})"
    )
    done = 0
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append((*row, batch_id))
        if len(chunk) >= CHUNK:
            if cancel is not None and cancel():
                raise Cancelled()
            conn.executemany(sql, chunk)
            done += len(chunk)
            chunk.clear()
            if progress is not None:
                progress(done)
    if chunk:
        conn.executemany(sql, chunk)
        done += len(chunk)
        if progress is not None:
            progress(done)
    return done


def _year_expression(kind: DatasetKind) -> str | None:
    if kind.year_column is not None:
        return kind.year_column
    if kind.event_date is not None:
        return school_year_of_date(kind.event_date)
    return None


def counts(conn: Connection, kind: DatasetKind) -> KindCounts:
    year = _year_expression(kind)
    by_year: dict[int, int] = {}
    if year is not None:
        for y, n in conn.execute(
            f"SELECT {year} AS y, count(*) FROM {kind.table} WHERE y IS NOT NULL GROUP BY y"
        ):
            by_year[int(y)] = int(n)
    total = int(conn.execute(f"SELECT count(*) FROM {kind.table}").fetchone()[0])
    latest: date | None = None
    if kind.event_date is not None:
        raw = conn.execute(f"SELECT max({kind.event_date}) FROM {kind.table}").fetchone()[0]
        if raw:
            latest = date.fromisoformat(str(raw)[:10])
    return KindCounts(kind.name, by_year, total, latest)


def pupil_ids_by_address(conn: Connection, master: DatasetKind) -> dict[str, int]:
    return {str(a): int(i) for i, a in conn.execute(f"SELECT id, address_code FROM {master.table}")}


def school_names(conn: Connection) -> dict[str, str]:
    """学校コード → 学校名 (empty before the schools' file is imported)."""
    if not has_table(conn, "ds_schools"):  # (not attached without the basic group's key)
        return {}
    return {str(c): str(n) for c, n in conn.execute(
        "SELECT school_code, school_name FROM ds_schools") if n}
