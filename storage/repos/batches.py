"""Import batches: provenance of every stored row (file, content hash, who, when, count)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection


@dataclass(frozen=True)
class BatchRow:
    id: int
    kind: str
    source_name: str
    content_sha256: str
    imported_by: str
    imported_at: str
    row_count: int
    status: str


_COLUMNS = "id, kind, source_name, content_sha256, imported_by, imported_at, row_count, status"


def _row(raw: tuple[object, ...]) -> BatchRow:
    return BatchRow(
        int(str(raw[0])), str(raw[1]), str(raw[2]), str(raw[3]), str(raw[4]), str(raw[5]),
        int(str(raw[6])), str(raw[7]),
    )


def create(
    conn: Connection,
    kind: str,
    source_name: str,
    content_sha256: str,
    imported_by: str,
    row_count: int = 0,
    note: str | None = None,
    *,
    at: datetime,
) -> int:
    cur = conn.execute(
        "INSERT INTO import_batches (kind, source_name, content_sha256, imported_by,"
        " imported_at, row_count, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            kind, source_name, content_sha256, imported_by,
            at.isoformat(timespec="seconds"), row_count, note,
        ),
    )
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def set_row_count(conn: Connection, batch_id: int, row_count: int) -> None:
    conn.execute("UPDATE import_batches SET row_count = ? WHERE id = ?", (row_count, batch_id))


def latest(conn: Connection) -> BatchRow | None:
    """The last committed batch; ``imported_by`` is the account's display name if known."""
    columns = ", ".join(f"b.{c.strip()}" for c in _COLUMNS.split(","))
    raw = conn.execute(
        f"SELECT {columns.replace('b.imported_by', 'coalesce(a.display_name, b.imported_by)')}"
        " FROM import_batches b LEFT JOIN accounts a ON a.login_id = b.imported_by"
        " WHERE b.status = 'committed' ORDER BY b.imported_at DESC, b.id DESC LIMIT 1"
    ).fetchone()
    return None if raw is None else _row(raw)


def all_batches(conn: Connection) -> list[BatchRow]:
    """Every batch; ``imported_by`` is the account's display name if known."""
    columns = ", ".join(f"b.{c.strip()}" for c in _COLUMNS.split(","))
    return [
        _row(r)
        for r in conn.execute(
            f"SELECT {columns.replace('b.imported_by', 'coalesce(a.display_name, b.imported_by)')}"
            " FROM import_batches b LEFT JOIN accounts a ON a.login_id = b.imported_by"
            " ORDER BY b.id"
        )
    ]


def kind_and_status(conn: Connection, batch_id: int) -> tuple[str, str] | None:
    raw = conn.execute("SELECT kind, status FROM import_batches WHERE id = ?",
                       (batch_id,)).fetchone()
    return None if raw is None else (str(raw[0]), str(raw[1]))
