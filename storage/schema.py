"""Numbered migrations of the core schema, and the dataset tables derived from the registry.

Core tables change only through a new numbered migration (``storage/migrations/mNNN_*.py``).
Dataset tables follow the registry: ``sync_dataset_tables`` creates a missing table, adds a new
column and its indexes, so that a new dataset kind or column is an edit to
``resources/datasets.toml``. It never drops anything. After migrating, the planner's statistics
are brought up to date (``storage.statistics``).
"""

from __future__ import annotations

from collections.abc import Callable

from storage.connection import Connection, transaction
from storage.errors import NewerSchema
from storage.migrations import (
    m001_core,
    m002_sign_in,
    m003_import,
    m004_search,
    m005_risk,
    m006_import_values,
    m007_batch_confirmations,
    m008_lookup_indexes,
    m009_kept_results,
    m010_signin_counters,
    m011_signed_audit,
)
from storage.registry import BLANK_KEY, OCCURRENCE, DatasetKind, Registry
from storage.statistics import refresh_statistics

Migration = Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    m001_core.migrate,
    m002_sign_in.migrate,
    m003_import.migrate,
    m004_search.migrate,
    m005_risk.migrate,
    m006_import_values.migrate,
    m007_batch_confirmations.migrate,
    m008_lookup_indexes.migrate,
    m009_kept_results.migrate,
    m010_signin_counters.migrate,
    m011_signed_audit.migrate,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, registry: Registry) -> int:
    """Bring the store to this code's schema; each step is its own transaction."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise NewerSchema()
    for number in range(current + 1, SCHEMA_VERSION + 1):
        with transaction(conn):
            MIGRATIONS[number - 1](conn)
            conn.execute(f"PRAGMA user_version = {number:d}")
    with transaction(conn):
        sync_dataset_tables(conn, registry)
    refresh_statistics(conn)
    return SCHEMA_VERSION


def _existing_columns(conn: Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def natural_index_sql(kind: DatasetKind) -> str:
    """The unique index on ``kind.unique_key``. An empty optional key column means "not
    given": it must still collide with itself, so the index compares ifnull(column, '')
    (NULLs are distinct in SQLite); the import's preview applies the same rule."""
    key = [f"ifnull({k}, '{BLANK_KEY}')" if kind.key_may_be_blank(k) else k
           for k in kind.unique_key]
    return f"CREATE UNIQUE INDEX {kind.table}_natural ON {kind.table} ({', '.join(key)})"


# Plain indexes beside the natural-key one, for joins on key columns the natural index wraps in
# ifnull() (kind name -> columns). A new store gets them here; stores made before issue 11 got
# them from migration 8.
LOOKUP_INDEXES: dict[str, tuple[str, ...]] = {
    "survey_items": ("survey_code", "school_year", "item_code", "grade"),
}


def lookup_index_sql(kind: DatasetKind) -> list[str]:
    columns = LOOKUP_INDEXES.get(kind.name)
    if columns is None:
        return []
    return [f"CREATE INDEX IF NOT EXISTS {kind.table}_lookup"
            f" ON {kind.table} ({', '.join(columns)})"]


def dataset_table_ddl(kind: DatasetKind) -> list[str]:
    """CREATE statements for one kind. Identifiers are checked by the registry loader."""
    cols = ["id INTEGER PRIMARY KEY"]
    if kind.links_to_pupil:
        cols.append("pupil_id INTEGER NOT NULL REFERENCES ds_students(id)")
    cols += [
        "batch_id INTEGER REFERENCES import_batches(id)",
        "source_row INTEGER",
    ]
    cols += [f"{c.key} {c.sql_type}" for c in kind.stored_columns]
    if kind.repeats:
        cols.append(f"{OCCURRENCE} INTEGER NOT NULL DEFAULT 1")
    statements = [
        f"CREATE TABLE {kind.table} (\n    " + ",\n    ".join(cols) + "\n)",
        natural_index_sql(kind),
        f"CREATE INDEX {kind.table}_batch ON {kind.table} (batch_id)",
    ]
    if kind.year_column is not None:
        statements.append(
            f"CREATE INDEX {kind.table}_year ON {kind.table} ({kind.year_column})"
        )
    return statements + lookup_index_sql(kind)


def sync_dataset_tables(conn: Connection, registry: Registry) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    # The master first: other tables reference it.
    ordered = sorted(registry.kinds, key=lambda k: not k.master)
    for kind in ordered:
        if kind.table not in tables:
            for statement in dataset_table_ddl(kind):
                conn.execute(statement)
            continue
        have = set(_existing_columns(conn, kind.table))
        for col in kind.stored_columns:
            if col.key not in have:
                conn.execute(f"ALTER TABLE {kind.table} ADD COLUMN {col.key} {col.sql_type}")
