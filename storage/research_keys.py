"""Moving research project keys out of the master's file into the ``research`` group's file.

Stores made before the ``research`` group kept each project's key in the master's file
(``research_projects.project_key``), readable by every holder of the basic key. Once an
account holding both keys opens such a store, the keys are copied into
``research_project_keys`` (committed there first), then the old column is dropped with
``secure_delete`` on and the master's file is checkpointed, vacuumed and its write-ahead log
truncated, so that no page keeps a key. Each step can be run again: a move stopped between
the two files copies again (the same keys) and drops then.
"""

from __future__ import annotations

from storage.connection import Connection, transaction
from storage.key_groups import RESEARCH, RESEARCH_GROUP
from storage.placement import schema_of
from storage.repos.retention_files import files_of, scrub_file
from storage.store import Store

OLD_COLUMN = "project_key"


def _old_keys(conn: Connection) -> list[tuple[str, bytes]] | None:
    """The keys still in the master's file (None: none there any more, or not readable)."""
    schema = schema_of(conn, "research_projects")
    if schema is None:
        return None
    columns = {str(r[1]) for r in conn.execute(
        f"PRAGMA {schema}.table_info('research_projects')")}
    if OLD_COLUMN not in columns:
        return None
    return [(str(name), bytes(key)) for name, key in conn.execute(
        f"SELECT name, {OLD_COLUMN} FROM {schema}.research_projects ORDER BY name")]


def _copy(conn: Connection, rows: list[tuple[str, bytes]]) -> int:
    with transaction(conn):
        conn.executemany(f"INSERT OR IGNORE INTO {RESEARCH.schema}.research_project_keys"
                         " (name, project_key) VALUES (?, ?)", rows)
        return int(conn.execute(
            f"SELECT count(*) FROM {RESEARCH.schema}.research_project_keys").fetchone()[0])


def _drop(conn: Connection) -> str | None:
    schema = schema_of(conn, "research_projects")
    if schema is None:
        return None
    conn.execute(f"PRAGMA {schema}.secure_delete = ON")
    with transaction(conn):
        conn.execute(f"ALTER TABLE {schema}.research_projects DROP COLUMN {OLD_COLUMN}")
    return schema


def move_project_keys(store: Store) -> int | None:
    """Move the keys if they are still in the master's file; the number moved, or None when
    there was nothing to move (moved already, a store made with the group) or this account
    does not hold both keys."""
    master = store.registry.master.name
    if not store.keys.holds(RESEARCH_GROUP) or master not in store.held_kinds:
        return None
    rows = store.db.call(_old_keys, kind=master)
    if rows is None:
        return None
    if rows:
        store.db.call(lambda c: _copy(c, rows), kind=RESEARCH_GROUP)
        copied = store.db.call(
            lambda c: {str(n) for (n,) in c.execute("SELECT name FROM research_project_keys")},
            kind=RESEARCH_GROUP)
        if not {name for name, _ in rows} <= copied:
            raise RuntimeError("research project keys were not all copied")
    schema = store.db.call(_drop, kind=master)
    for path, key in files_of(store, [schema] if schema else []):
        scrub_file(path, key)  # (best effort: secure_delete zeroed the old cells already)
    return len(rows)


__all__ = ["move_project_keys"]
