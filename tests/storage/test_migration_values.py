"""The health-room visits' natural key (issue 10) in a new store, and one rule for the key."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection
from storage.placement import schema_of
from storage.registry import default_registry
from storage.schema import natural_index_sql
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from toda_desktop.store_setup import create_empty_store


def _index_sql(conn: Connection) -> str:
    return str(conn.execute(
        f"SELECT sql FROM {schema_of(conn, 'ds_health_room_visits')}.sqlite_master"
        " WHERE name = 'ds_health_room_visits_natural'").fetchone()[0])


def test_a_new_store_has_the_same_index_as_a_migrated_one(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=2**10)
    try:
        kind = default_registry().kind("health_room_visits")
        assert created.store.db.call(_index_sql) == natural_index_sql(kind).replace(
            "main.", "", 1)
        assert "ifnull(symptom, ''), occurrence" in created.store.db.call(_index_sql)
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
