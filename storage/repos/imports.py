"""What an import leaves besides its rows: header mappings, the review queue, remembered
名寄せ decisions, overwritten values (for rollback), and the rollback itself.

Store format 2 (issue 12): a review item's row and an overwritten row hold the values of their
kind, so each key group's file has its own ``review_queue`` and ``batch_overwrites``, always
named with the group's schema here (the same table name is in every group file); the store
file's ``review_items`` numbers the items across groups. Only the groups whose keys the account
holds are attached: what another group holds is neither listed nor counted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.connection import Connection
from storage.errors import GroupNotHeld
from storage.placement import schema_of, schemas_with
from storage.registry import Registry


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


# -- saved header mappings -------------------------------------------------------------------

IGNORED = ""  # stored column_key of a header the user chose not to import


def saved_mapping(conn: Connection, source_key: str, kind: str) -> dict[str, str | None]:
    """raw header → column key, or None for 取り込まない."""
    return {
        str(h): (None if c == IGNORED else str(c))
        for h, c in conn.execute(
            "SELECT raw_header, column_key FROM import_mappings WHERE source_key = ? AND kind = ?",
            (source_key, kind),
        )
    }


def save_mapping(
    conn: Connection, source_key: str, kind: str, mapping: dict[str, str | None], saved_by: str,
    *, at: datetime,
) -> None:
    """Replace the source's mapping for this kind as a whole (None = 取り込まない)."""
    conn.execute("DELETE FROM import_mappings WHERE source_key = ? AND kind = ?",
                 (source_key, kind))
    conn.executemany(
        "INSERT INTO import_mappings (source_key, kind, raw_header, column_key, saved_by,"
        " saved_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(source_key, kind, raw_header)"
        " DO UPDATE SET column_key = excluded.column_key, saved_by = excluded.saved_by,"
        " saved_at = excluded.saved_at",
        [(source_key, kind, h, IGNORED if c is None else c, saved_by, _stamp(at))
         for h, c in mapping.items()],
    )


# -- remembered decisions ----------------------------------------------------------------------

def decisions(conn: Connection) -> dict[str, int | None]:
    """fingerprint → pupil id (None: the reviewer rejected the row)."""
    return {
        str(f): (None if d == "reject" else int(p))
        for f, p, d in conn.execute("SELECT fingerprint, pupil_id, decision FROM linkage_decisions")
    }


def remember(
    conn: Connection, fingerprint: str, pupil_id: int | None, decided_by: str, *, at: datetime
) -> None:
    conn.execute(
        "INSERT INTO linkage_decisions (fingerprint, pupil_id, decision, decided_by, decided_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(fingerprint) DO UPDATE SET"
        " pupil_id = excluded.pupil_id, decision = excluded.decision,"
        " decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        (fingerprint, pupil_id, "reject" if pupil_id is None else "link", decided_by, _stamp(at)),
    )


def _in_group(conn: Connection, kind: str, table: str) -> str:
    """``table`` (review_queue, batch_overwrites) in the file of ``kind``'s group."""
    schema = schema_of(conn, f"ds_{kind}")
    if schema is None:
        raise GroupNotHeld()
    return f"{schema}.{table}"


def _queue_of_kind(conn: Connection, kind: str) -> str | None:
    """The review queue of ``kind``'s group; None for a group kept in the store file (no
    pupil kind there, so never a review item)."""
    queue = _in_group(conn, kind, "review_queue")
    return queue if queue.split(".")[0] in schemas_with(conn, "review_queue") else None


def _queues(conn: Connection) -> list[str]:
    return [f"{schema}.review_queue" for schema in schemas_with(conn, "review_queue")]


# -- the review queue --------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueItem:
    id: int
    batch_id: int
    kind: str
    source_name: str
    source_row: int
    fingerprint: str
    row: dict[str, Any]
    candidates: list[dict[str, Any]]
    reason: str
    status: str
    pupil_id: int | None


_QUEUE_COLUMNS = (
    "id, batch_id, kind, source_name, source_row, fingerprint, row_json, candidates_json,"
    " reason, status, pupil_id"
)


def _item(raw: Sequence[Any]) -> QueueItem:
    return QueueItem(
        int(raw[0]), int(raw[1]), str(raw[2]), str(raw[3]), int(raw[4]), str(raw[5]),
        json.loads(raw[6]), json.loads(raw[7]), str(raw[8]), str(raw[9]),
        None if raw[10] is None else int(raw[10]),
    )


def enqueue(
    conn: Connection,
    batch_id: int,
    kind: str,
    source_name: str,
    items: Iterable[tuple[int, str, dict[str, Any], list[dict[str, Any]], str]],
) -> int:
    """items: (source row, fingerprint, row values, candidates, reason). A row already
    waiting in the queue (same kind, file and row) is not queued twice."""
    already = waiting(conn, kind, source_name)
    items = [i for i in items if (i[0], i[1]) not in already]
    if not items:
        return 0
    queue = _queue_of_kind(conn, kind)
    if queue is None:
        raise GroupNotHeld()
    rows = [
        (_new_item_id(conn, kind), batch_id, kind, source_name, r, f,
         json.dumps(v, ensure_ascii=False, default=str), json.dumps(c, ensure_ascii=False),
         reason)
        for r, f, v, c, reason in items
    ]
    conn.executemany(
        f"INSERT INTO {queue} (id, batch_id, kind, source_name, source_row, fingerprint,"
        " row_json, candidates_json, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def _new_item_id(conn: Connection, kind: str) -> int:
    """An item number unique across the groups' queues (the store file numbers them)."""
    return int(conn.execute("INSERT INTO review_items (kind) VALUES (?)", (kind,)).lastrowid
               or 0)


def _queue_of_item(conn: Connection, item_id: int) -> str | None:
    row = conn.execute("SELECT kind FROM review_items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return None
    schema = schema_of(conn, f"ds_{row[0]}")
    return None if schema is None else f"{schema}.review_queue"


def waiting(conn: Connection, kind: str, source_name: str) -> set[tuple[int, str]]:
    """(source row, fingerprint) of the rows of this file already waiting for review."""
    queue = _queue_of_kind(conn, kind)
    return set() if queue is None else {
        (int(r), str(f))
        for r, f in conn.execute(
            f"SELECT source_row, fingerprint FROM {queue}"
            " WHERE status = 'open' AND kind = ? AND source_name = ?", (kind, source_name))
    }


def row_key(values: dict[str, Any]) -> str:
    """A row's content as one comparable text (the same row from any file, any name)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def waiting_row_keys(conn: Connection, kind: str) -> set[str]:
    """:func:`row_key` of every row of this kind waiting for review, whichever file it came
    from: a corrected file imported under a new name does not queue its rows again."""
    queue = _queue_of_kind(conn, kind)
    return set() if queue is None else {
        row_key(json.loads(raw))
        for (raw,) in conn.execute(
            f"SELECT row_json FROM {queue} WHERE status = 'open' AND kind = ?", (kind,))
    }


def open_items(conn: Connection, kinds: Sequence[str] | None = None) -> list[QueueItem]:
    """The open items of the attached groups (of ``kinds`` if given), oldest first."""
    where = " WHERE status = 'open'"
    params: list[Any] = []
    if kinds is not None:
        where += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        params += list(kinds)
    found = [_item(r) for queue in _queues(conn)
             for r in conn.execute(f"SELECT {_QUEUE_COLUMNS} FROM {queue}{where}", params)]
    return sorted(found, key=lambda i: i.id)


def item(conn: Connection, item_id: int) -> QueueItem | None:
    queue = _queue_of_item(conn, item_id)
    if queue is None:
        return None
    raw = conn.execute(f"SELECT {_QUEUE_COLUMNS} FROM {queue} WHERE id = ?",
                       (item_id,)).fetchone()
    return None if raw is None else _item(raw)


def close_item(
    conn: Connection, item_id: int, pupil_id: int | None, decided_by: str, *, at: datetime
) -> None:
    queue = _queue_of_item(conn, item_id)
    if queue is None:
        return
    conn.execute(
        f"UPDATE {queue} SET status = ?, pupil_id = ?, decided_by = ?, decided_at = ?"
        " WHERE id = ? AND status = 'open'",
        ("rejected" if pupil_id is None else "linked", pupil_id, decided_by, _stamp(at), item_id),
    )


def count_open(conn: Connection) -> int:
    """Open questions: the items of one file row about one person count once (a wide form's
    row gives an item per answer, all about the same pupil)."""
    return sum(int(conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {queue} WHERE status = 'open'"
        " GROUP BY batch_id, source_row, fingerprint)").fetchone()[0])
        for queue in _queues(conn))


def siblings(conn: Connection, of: QueueItem) -> list[QueueItem]:
    """The other open items of the same file row about the same person (one decision)."""
    return [_item(r) for r in conn.execute(
        f"SELECT {_QUEUE_COLUMNS} FROM {_in_group(conn, of.kind, 'review_queue')}"
        " WHERE status = 'open' AND batch_id = ?"
        " AND source_row = ? AND fingerprint = ? AND id != ? ORDER BY id",
        (of.batch_id, of.source_row, of.fingerprint, of.id))]


# -- overwrites and rollback -------------------------------------------------------------------

def remember_overwrite(
    conn: Connection, batch_id: int, kind: str, record_id: int, old: dict[str, Any]
) -> None:
    conn.execute(
        f"INSERT INTO {_in_group(conn, kind, 'batch_overwrites')}"
        " (batch_id, kind, record_id, old_json) VALUES (?, ?, ?, ?)",
        (batch_id, kind, record_id, json.dumps(old, ensure_ascii=False, default=str)),
    )


def confirm_rows(
    conn: Connection, batch_id: int, kind: str, rows: Iterable[tuple[int, int | None]]
) -> int:
    """Note that batch ``batch_id`` held these stored records (record id, file row)
    identically, so that rolling back the batch that stored them keeps them."""
    cur = conn.executemany(
        "INSERT OR IGNORE INTO batch_confirmations (batch_id, kind, record_id, source_row)"
        " VALUES (?, ?, ?, ?)",
        ((batch_id, kind, int(record), None if row is None else int(row))
         for record, row in rows),
    )
    return int(cur.rowcount)


@dataclass(frozen=True)
class RollbackResult:
    """What a rollback did, per kind label key: records deleted, records kept because a
    later import in force holds them too (handed over to it), and overwrites undone."""

    removed: dict[str, int]
    kept: dict[str, int]
    restored: int


_HOLDERS = (
    "SELECT c.record_id FROM batch_confirmations c JOIN import_batches b ON b.id = c.batch_id"
    " WHERE c.kind = ? AND c.batch_id != ? AND b.status = 'committed'"
)


def rollback_batch(conn: Connection, registry: Registry, batch_id: int) -> RollbackResult:
    """Remove exactly one batch: its rows, its open queue items; restore what it overwrote.

    A record the batch stored that a later import in force also held is handed over to the
    latest such import (with its file row) rather than deleted. An overwritten value whose
    earlier batch has been rolled back meanwhile is not brought back: the record goes.
    The caller owns the transaction, and checks that the account holds the key of every
    group the batch wrote to (only attached groups are reached here).
    """
    removed: dict[str, int] = {}
    kept: dict[str, int] = {}
    restored = 0
    schemas = schemas_with(conn, "batch_overwrites")
    overwrites = [row for schema in schemas for row in conn.execute(
        f"SELECT kind, record_id, old_json FROM {schema}.batch_overwrites WHERE batch_id = ?"
        " ORDER BY rowid DESC", (batch_id,)).fetchall()]
    for raw_kind, record_id, old_json in overwrites:
        kind = registry.kind(str(raw_kind))
        old = json.loads(old_json)
        earlier = conn.execute("SELECT status FROM import_batches WHERE id = ?",
                               (old.get("batch_id"),)).fetchone()
        if earlier is None or earlier[0] != "committed":
            continue  # its rows go with this batch below
        columns = [c for c in old if kind.has_column(c) or c == "batch_id"]
        assignments = ", ".join(f"{c} = ?" for c in columns)
        conn.execute(f"UPDATE {kind.table} SET {assignments} WHERE id = ?",
                     (*[old[c] for c in columns], record_id))
        restored += 1
    for kind in registry.kinds:
        if schema_of(conn, kind.table) is None:
            continue  # its group is not attached
        handed = conn.execute(
            f"UPDATE {kind.table} SET (batch_id, source_row) = ("
            "SELECT c.batch_id, c.source_row FROM batch_confirmations c"
            " JOIN import_batches b ON b.id = c.batch_id"
            f" WHERE c.kind = ? AND c.record_id = {kind.table}.id AND c.batch_id != ?"
            " AND b.status = 'committed' ORDER BY c.batch_id DESC LIMIT 1)"
            f" WHERE batch_id = ? AND id IN ({_HOLDERS})",
            (kind.name, batch_id, batch_id, kind.name, batch_id),
        )
        if handed.rowcount:
            kept[kind.name] = int(handed.rowcount)
        cur = conn.execute(f"DELETE FROM {kind.table} WHERE batch_id = ?", (batch_id,))
        if cur.rowcount:
            removed[kind.name] = int(cur.rowcount)
    for queue in _queues(conn):
        conn.execute(f"DELETE FROM {queue} WHERE batch_id = ? AND status = 'open'", (batch_id,))
    for schema in schemas:
        conn.execute(f"DELETE FROM {schema}.batch_overwrites WHERE batch_id = ?", (batch_id,))
    conn.execute("DELETE FROM batch_confirmations WHERE batch_id = ?", (batch_id,))
    conn.execute("UPDATE import_batches SET status = 'rolled_back' WHERE id = ?", (batch_id,))
    return RollbackResult(removed=removed, kept=kept, restored=restored)


# -- each source's own spellings of listed values -------------------------------------------

def saved_value_maps(conn: Connection, source_key: str, kind: str) -> dict[str, dict[str, str]]:
    """column key → {value as the source writes it → the listed value}."""
    maps: dict[str, dict[str, str]] = {}
    for column, raw, value in conn.execute(
        "SELECT column_key, raw_value, value FROM import_value_maps"
        " WHERE source_key = ? AND kind = ? ORDER BY column_key, raw_value", (source_key, kind)
    ):
        maps.setdefault(str(column), {})[str(raw)] = str(value)
    return maps


def save_value_map(
    conn: Connection, source_key: str, kind: str, column_key: str, values: dict[str, str | None],
    saved_by: str, *, at: datetime,
) -> None:
    """Add or change the source's spellings for one column (None forgets one)."""
    for raw, value in values.items():
        if value is None:
            conn.execute(
                "DELETE FROM import_value_maps WHERE source_key = ? AND kind = ?"
                " AND column_key = ? AND raw_value = ?", (source_key, kind, column_key, raw))
            continue
        conn.execute(
            "INSERT INTO import_value_maps (source_key, kind, column_key, raw_value, value,"
            " saved_by, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(source_key, kind, column_key, raw_value) DO UPDATE SET"
            " value = excluded.value, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
            (source_key, kind, column_key, raw, value, saved_by, _stamp(at)),
        )
