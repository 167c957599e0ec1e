"""Numbered migrations of the core schema, and the dataset tables derived from the registry.

Core tables change only through a new numbered migration. Dataset tables follow the registry:
``sync_dataset_tables`` creates a missing table, adds a new column and its indexes, so that a new
dataset kind or column is an edit to ``resources/datasets.toml``. It never drops anything.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.connection import Connection, transaction
from storage.errors import NewerSchema
from storage.migrations import (
    m004_search,
    m005_risk,
    m006_import_values,
    m007_batch_confirmations,
    m008_kept_results,
)
from storage.registry import BLANK_KEY, OCCURRENCE, DatasetKind, Registry

Migration = Callable[[Connection], None]


def _execute_script(conn: Connection, script: str) -> None:
    """Run statements one by one: ``executescript`` would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _m001_core(conn: Connection) -> None:
    _execute_script(
        conn,
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            login_id TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE import_batches (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            source_name TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            imported_by TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            row_count INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'committed'
                CHECK (status IN ('committed', 'rolled_back')),
            note TEXT
        );
        CREATE INDEX import_batches_hash ON import_batches (content_sha256);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            target TEXT,
            pupil_id INTEGER,
            detail TEXT,
            prev_mac TEXT NOT NULL,
            mac TEXT NOT NULL
        );
        CREATE INDEX audit_log_pupil ON audit_log (pupil_id);
        """
    )


def _m002_sign_in(conn: Connection) -> None:
    """Palm templates bound to accounts, and one-off recovery sign-ins."""
    _execute_script(
        conn,
        """
        CREATE TABLE palm_templates (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            template BLOB NOT NULL,
            binding TEXT NOT NULL,
            quality INTEGER,
            enrolled_at TEXT NOT NULL,
            enrolled_by TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX palm_templates_account ON palm_templates (account_id);
        CREATE TABLE recovery_grants (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            granted_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            used_at TEXT
        )
        """,
    )


def _m003_import(conn: Connection) -> None:
    """Saved header mappings, the 名寄せ review queue, remembered decisions, overwrites."""
    _execute_script(
        conn,
        """
        CREATE TABLE import_mappings (
            source_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            raw_header TEXT NOT NULL,
            column_key TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (source_key, kind, raw_header)
        );
        CREATE TABLE linkage_decisions (
            fingerprint TEXT PRIMARY KEY,
            pupil_id INTEGER,
            decision TEXT NOT NULL CHECK (decision IN ('link', 'reject')),
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE TABLE review_queue (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES import_batches(id),
            kind TEXT NOT NULL,
            source_name TEXT NOT NULL,
            source_row INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            row_json TEXT NOT NULL,
            candidates_json TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'linked', 'rejected')),
            pupil_id INTEGER,
            decided_by TEXT,
            decided_at TEXT
        );
        CREATE INDEX review_queue_status ON review_queue (status, batch_id);
        CREATE TABLE batch_overwrites (
            batch_id INTEGER NOT NULL REFERENCES import_batches(id),
            kind TEXT NOT NULL,
            record_id INTEGER NOT NULL,
            old_json TEXT NOT NULL
        );
        CREATE INDEX batch_overwrites_batch ON batch_overwrites (batch_id)
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (
    _m001_core,
    _m002_sign_in,
    _m003_import,
    m004_search.migrate,
    m005_risk.migrate,
    m006_import_values.migrate,
    m007_batch_confirmations.migrate,
    m008_kept_results.migrate,
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
    return statements


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
