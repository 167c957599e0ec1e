"""Migration 8 adds the kept analysis results (survey grade norms, 要因分析 reports), with the
triggers that drop them when a source row is edited in place, to a store of version 7."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection
from storage.migrations.m009_kept_results import SOURCES, trigger_name
from storage.registry import default_registry
from storage.schema import SCHEMA_VERSION
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.storage.test_migration_signin_counters import undo_migration_10
from toda_desktop.store_setup import create_empty_store

TABLES = tuple(default_registry().kind(k).table for k in SOURCES)


def undo_migration_9(conn: Connection) -> None:
    """What a store of version 8 lacks (for the tests of the migrations before it)."""
    undo_migration_10(conn)  # what came after migration 9 goes first
    for table in TABLES:
        conn.execute(f"DROP TRIGGER {trigger_name(table)}")
    for table in ("survey_norms", "survey_norm_sets", "factor_reports"):
        conn.execute(f"DROP TABLE {table}")


def _make_version_8(conn: Connection) -> None:
    undo_migration_9(conn)
    conn.execute("PRAGMA user_version = 8")


def test_a_version_8_store_gets_the_kept_result_tables_and_their_triggers(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=2**10)
    created.store.db.call(_make_version_8)
    created.store.close()
    store = Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        def names(kind: str) -> set[str]:
            return store.db.call(lambda c: {str(r[0]) for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = ?", (kind,))})

        assert {"survey_norms", "survey_norm_sets", "factor_reports"} <= names("table")
        assert {trigger_name(t) for t in TABLES} <= names("trigger")
        version = store.db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0])
        assert version == SCHEMA_VERSION
    finally:
        store.close()
