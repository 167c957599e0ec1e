"""Moving a key group's tables out of the store file into the group's own file, at open.

Stores made before the school lane (issue 12) kept the 学校 group (school-level context and
questionnaires, no pupil) in the store file, under the system key that every account holds.
The move needs that group's key, so it is not a numbered migration (those run for whoever
opens first): it runs when an account holding the key opens the store (the project lead,
any other holder, or the recovery key). The key itself is not new: it was made with the store
and sealed to the accounts whose role sees the group, so nothing is granted here. Until a
holder opens, the tables stay where they are.

Crash-safe in steps, all under the store file's write lock, so that two sessions opening at
once do the same work in turn: (1) the group file gets its tables and a copy of the rows (its
own commit, durable); (2) the store file drops the tables in a second transaction with
``secure_delete`` on; (3) VACUUM rewrites the store file without free pages and the WAL is
emptied, so that no byte of the rows is left in the store file. A crash before (2) leaves the
rows in the store file, and the next open copies them again (the copy first empties the group
file's tables); after (2), the rows are only in the group file.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from storage.connection import Attachment, Connection, DatabaseError, open_connection, transaction
from storage.group_files import create_owner_only
from storage.key_groups import KeyGroup
from storage.registry import Registry

OVERWRITES = "batch_overwrites"  # kept in the store file for such groups (rollback)


def tables_in_store_file(conn: Connection, registry: Registry, group: KeyGroup) -> list[str]:
    """The group's dataset tables still in the store file (``main``)."""
    wanted = [registry.kind(k).table for k in group.kinds if k in registry.names]
    have = {str(r[0]) for r in conn.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    return [t for t in wanted if t in have]


def move_group_out(
    path: Path, system_key: bytes, registry: Registry, group: KeyGroup, group_key: bytes,
    file: Path,
) -> bool:
    """Move ``group``'s tables from the store file ``path`` into ``file`` (its generation
    named by the key file); True if this call moved them. Needs the group's key."""
    from storage.schema import migrate_group

    with contextlib.suppress(FileExistsError):  # a crashed or concurrent move made it
        create_owner_only(file)
    conn = open_connection(path, system_key, privileged=True,
                           attach=[Attachment(group.schema, file, group_key)])
    try:
        migrate_group(conn, registry, group.schema, group)
        conn.execute("PRAGMA main.secure_delete = ON")
        kinds = [k for k in group.kinds if k in registry.names]
        marks = ", ".join("?" for _ in kinds)
        with transaction(conn):  # (1) the copy; holds the store file's write lock
            moved = tables_in_store_file(conn, registry, group)
            for table in moved:
                columns = ", ".join(_common_columns(conn, table, group.schema))
                conn.execute(f"DELETE FROM {group.schema}.{table}")
                conn.execute(f"INSERT INTO {group.schema}.{table} ({columns})"
                             f" SELECT {columns} FROM main.{table}")
            overwrites = bool(moved) and _has_overwrites(conn)
            if overwrites:
                conn.execute(f"DELETE FROM {group.schema}.{OVERWRITES}"
                             f" WHERE kind IN ({marks})", kinds)
                conn.execute(f"INSERT INTO {group.schema}.{OVERWRITES}"
                             " (batch_id, kind, record_id, old_json)"
                             " SELECT batch_id, kind, record_id, old_json"
                             f" FROM main.{OVERWRITES} WHERE kind IN ({marks})", kinds)
        if not moved:
            return False
        with transaction(conn):  # (2) the store file lets go, zeroing the freed pages
            for table in moved:
                conn.execute(f"DROP TABLE main.{table}")
            if overwrites:
                conn.execute(f"DELETE FROM main.{OVERWRITES} WHERE kind IN ({marks})", kinds)
                left = conn.execute(f"SELECT count(*) FROM main.{OVERWRITES}").fetchone()[0]
                if int(left) == 0:
                    conn.execute(f"DROP TABLE main.{OVERWRITES}")
        # (3) no free page and no WAL frame left with the rows' bytes. A reader of another
        # session can keep VACUUM or the checkpoint from finishing: then the freed pages
        # are still zeroed (secure_delete) and the next move or close completes it.
        with contextlib.suppress(DatabaseError):
            conn.execute("VACUUM main")
        with contextlib.suppress(DatabaseError):
            conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        return True
    finally:
        conn.close()


def _common_columns(conn: Connection, table: str, schema: str) -> list[str]:
    """The columns both copies have (the store file's table may predate a registry column;
    the group file's was just made from the registry)."""
    old = [str(r[1]) for r in conn.execute(f'PRAGMA main.table_info("{table}")')]
    new = {str(r[1]) for r in conn.execute(f'PRAGMA {schema}.table_info("{table}")')}
    return [c for c in old if c in new]


def _has_overwrites(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?",
                        (OVERWRITES,)).fetchone() is not None
