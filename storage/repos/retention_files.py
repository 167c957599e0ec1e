"""Cleaning a store's files after a purge, so that no bytes of what went remain.

The rows went with ``secure_delete`` on (``storage.repos.retention``); here the planner's
statistics are gathered again (``sqlite_stat4`` keeps sample index keys), and each file is
checkpointed with its write-ahead log truncated, vacuumed (no free page keeps old content),
and truncated again — on a connection of its own, since VACUUM attaches a database and the
store's connections use every attachment slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from storage.connection import Connection, DatabaseError, open_connection
from storage.statistics import ANALYSIS_LIMIT
from storage.store import Store


def reanalyze(conn: Connection, schemas: Iterable[str]) -> None:
    """Gather the planner's statistics of these files again, on the writer after the purge
    committed: ``sqlite_stat4`` keeps sample keys of every index (宛名番号 in the master's
    natural key, IDs in the search index), which must not outlive the rows."""
    previous = int(conn.execute("PRAGMA analysis_limit").fetchone()[0])
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT:d}")
    try:
        for schema in schemas:
            conn.execute(f"ANALYZE {schema}")
    finally:
        conn.execute(f"PRAGMA analysis_limit = {previous:d}")


def scrub_file(path: Path, key: bytes) -> bool:
    """One file on its own connection (VACUUM attaches a database of its own, and the
    store's connections have every attachment slot in use): checkpoint and truncate the
    write-ahead log, vacuum (no free page keeps old content), truncate the log again.
    False when a reader kept part of the log or the file busy (the next run tries again)."""
    conn = open_connection(path, key, privileged=True)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA secure_delete = ON")
        _checkpoint(conn)
        conn.execute("VACUUM")
        return _checkpoint(conn)
    except DatabaseError:
        # Another session kept the file busy past the timeout: the rows are gone already
        # (secure delete zeroed them); compaction waits for the next run.
        return False
    finally:
        conn.close()


def files_of(store: Store, schemas: Iterable[str]) -> list[tuple[Path, bytes]]:
    """The file and key behind each schema name of the store's connections."""
    wanted = set(schemas)
    out = [(store.path, store.keys.system)] if "main" in wanted else []
    for group, path in zip(store.held_groups, store.group_files(), strict=True):
        if group.schema in wanted:
            out.append((path, store.keys.groups[group.name]))
    return out


def _checkpoint(conn: Connection) -> bool:
    """TRUNCATE checkpoint; False when a reader kept part of the log."""
    for _ in range(20):
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if row is not None and int(row[0]) == 0:
            return True
    return False


__all__ = ["files_of", "reanalyze", "scrub_file"]
