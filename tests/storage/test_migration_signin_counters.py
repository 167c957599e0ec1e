"""Migration 10 adds the sign-in counters and the accepted scanner backends to a store of
version 9; its first unlock adopts the counter file beside it without calling it a break."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from storage.connection import Connection
from storage.repos import scanner_backends, signin_counters
from storage.schema import SCHEMA_VERSION
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError
from toda_desktop.store_setup import create_empty_store
from toda_desktop.throttle import ThrottleBook

M010_TABLES = ("signin_file", "signin_counters", "scanner_backends")


def undo_migration_10(conn: Connection) -> None:
    """What a store of version 9 lacks (for the tests of the migrations before it)."""
    for table in M010_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def _make_version_9(conn: Connection) -> None:
    undo_migration_10(conn)
    conn.execute("PRAGMA user_version = 9")


def test_a_version_9_store_gets_the_tables_and_adopts_its_counter_file(
    store_path: Path,
) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=2**10)
    created.store.db.call(_make_version_9)
    created.store.close()
    app = Application(store_path, clock=lambda: datetime(2026, 6, 1, 9))
    for _ in range(2):
        with pytest.raises(SignInError):
            app.start_sign_in(LEAD_LOGIN, "a wrong password here")
    app.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD).cancel()  # no break: nothing to compare yet
    store = Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        version = store.db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0])
        mark = store.db.call(signin_counters.file_mark)
        counted = store.db.call(signin_counters.all_slots)
        accepted = store.db.call(scanner_backends.accepted)
        slot = store.keyfile.account_slot(LEAD_LOGIN)
    finally:
        store.close()
    assert version == SCHEMA_VERSION
    book = ThrottleBook.load(store_path, app.clock)
    assert mark is not None and mark.file_id == book.file_id
    assert counted[slot].totals["password"] == 2 and counted[slot].failures["password"] == 0
    assert accepted == ()  # a store of before records its scanners with the recovery key
