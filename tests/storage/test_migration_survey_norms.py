"""Migration 8 adds the kept survey grade norms, with the triggers that drop them when a
source row is edited in place, to a store of version 7."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection
from storage.schema import SCHEMA_VERSION
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from toda_desktop.store_setup import create_empty_store

SOURCES = ("ds_enrollments", "ds_survey_items", "ds_survey_responses")


def undo_migration_8(conn: Connection) -> None:
    """What a store of version 7 lacks (for the tests of the migrations before it)."""
    for table in SOURCES:
        conn.execute(f"DROP TRIGGER survey_norms_stale_{table}")
    conn.execute("DROP TABLE survey_norms")
    conn.execute("DROP TABLE survey_norm_sets")


def _make_version_7(conn: Connection) -> None:
    undo_migration_8(conn)
    conn.execute("PRAGMA user_version = 7")


def test_a_version_7_store_gets_the_norm_tables_and_their_triggers(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=2**10)
    created.store.db.call(_make_version_7)
    created.store.close()
    store = Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        def names(kind: str) -> set[str]:
            return store.db.call(lambda c: {str(r[0]) for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = ?", (kind,))})

        assert {"survey_norms", "survey_norm_sets"} <= names("table")
        assert {f"survey_norms_stale_{t}" for t in SOURCES} <= names("trigger")
        version = store.db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0])
        assert version == SCHEMA_VERSION
    finally:
        store.close()
