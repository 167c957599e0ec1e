"""Migration 7 adds the table of records later imports held again, to a store of version 6."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection
from storage.schema import SCHEMA_VERSION
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.storage.test_migration_kept_results import undo_migration_9
from toda_desktop.store_setup import create_empty_store


def _make_version_6(conn: Connection) -> None:
    conn.execute("DROP TABLE batch_confirmations")
    undo_migration_9(conn)
    conn.execute("PRAGMA user_version = 6")


def test_a_version_6_store_gets_the_confirmations_table(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=2**10)
    created.store.db.call(_make_version_6)
    created.store.close()
    store = Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        columns = store.db.call(lambda c: [str(r[1]) for r in c.execute(
            "PRAGMA table_info(batch_confirmations)")])
        assert columns == ["batch_id", "kind", "record_id", "source_row"]
        version = store.db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0])
        assert version == SCHEMA_VERSION
    finally:
        store.close()
