"""Migration 6 on a store made before it: visits kept, the new key in force, one rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.connection import Connection
from storage.errors import StoreError
from storage.migrations.m006_import_values import NEW_INDEX
from storage.registry import default_registry
from storage.schema import natural_index_sql
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.storage.test_migration_kept_results import undo_migration_9
from toda_desktop.store_setup import create_empty_store

OLD_INDEX = ("CREATE UNIQUE INDEX ds_health_room_visits_natural ON ds_health_room_visits"
             " (pupil_id, visit_date, ifnull(time_in, ''))")


def _index_sql(conn: Connection) -> str:
    return str(conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'ds_health_room_visits_natural'"
    ).fetchone()[0])


def _make_version_5(conn: Connection) -> None:
    """Turn a new store back into what version 5 created (old index, no occurrence)."""
    conn.execute("DROP INDEX ds_health_room_visits_natural")
    conn.execute("ALTER TABLE ds_health_room_visits DROP COLUMN occurrence")
    conn.execute(OLD_INDEX)
    conn.execute("DROP TABLE import_value_maps")
    conn.execute("DROP TABLE batch_confirmations")  # migration 7
    undo_migration_9(conn)
    conn.execute(
        "INSERT INTO ds_students (id, address_code, name, name_kana, birth_date, sex)"
        " VALUES (1, '0000000001', '山田 太郎', 'ヤマダ タロウ', '2013-04-10', '男')")
    conn.executemany(
        "INSERT INTO ds_health_room_visits (pupil_id, visit_date, time_in, symptom)"
        " VALUES (1, '2024-05-07', ?, ?)", [("08:30", "内科"), (None, "外科")])
    conn.execute("PRAGMA user_version = 5")


def test_a_version_5_store_keeps_its_visits_and_gets_the_new_key(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=2**10)
    created.store.db.call(_make_version_5)
    created.store.close()
    store = Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        rows = store.db.call(lambda c: c.execute(
            "SELECT time_in, symptom, occurrence FROM ds_health_room_visits ORDER BY id"
        ).fetchall())
        assert rows == [("08:30", "内科", 1), (None, "外科", 1)]
        kind = default_registry().kind("health_room_visits")
        index = store.db.call(_index_sql)
        assert index == NEW_INDEX == natural_index_sql(kind)
        assert store.db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0]) >= 6
        # Another visit that day without 入室時刻 but with another 症状: a separate visit now.
        store.db.call(lambda c: c.execute(
            "INSERT INTO ds_health_room_visits (pupil_id, visit_date, symptom)"
            " VALUES (1, '2024-05-07', '心因')"))
        with pytest.raises(StoreError):  # the same visit again is still refused
            store.db.call(lambda c: c.execute(
                "INSERT INTO ds_health_room_visits (pupil_id, visit_date, symptom)"
                " VALUES (1, '2024-05-07', '心因')"))
    finally:
        store.close()


def test_a_new_store_has_the_same_index_as_a_migrated_one(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=2**10)
    try:
        assert created.store.db.call(_index_sql) == NEW_INDEX
    finally:
        created.store.close()


def test_the_preview_and_the_store_read_one_key_rule_for_every_kind() -> None:
    from analysis.values import BLANK_KEY as PREVIEW_BLANK
    from storage.registry import BLANK_KEY as STORE_BLANK
    from toda_desktop.importing.frames import natural_key

    assert PREVIEW_BLANK == STORE_BLANK
    for kind in default_registry().kinds:
        parts = [p.strip() for p in natural_index_sql(kind).split("(", 1)[1][:-1].split(", ")]
        expected = [f"ifnull({k}" if kind.key_may_be_blank(k) else k for k in natural_key(kind)]
        assert [p.split(", ")[0] for p in parts if not p.startswith("'")] == expected, kind.name
