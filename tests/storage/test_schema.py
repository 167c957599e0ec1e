"""Numbered migrations and registry-driven dataset tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from resources import resource_path
from storage.connection import open_connection
from storage.errors import NewerSchema
from storage.registry import default_registry, parse_registry
from storage.schema import SCHEMA_VERSION, migrate, schema_version
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD


def _columns(store: Store, table: str, kind: str | None = None) -> list[str]:
    rows = store.db.call(lambda c: c.execute(f"PRAGMA table_info({table})").fetchall(),
                         kind=kind)
    return [r[1] for r in rows]


def test_new_store_is_at_the_current_version_with_every_kind(test_store: Store) -> None:
    assert test_store.db.call(schema_version) == SCHEMA_VERSION
    for kind in default_registry().kinds:
        columns = _columns(test_store, kind.table, kind.name)  # (on the kind's lane)
        for spec in kind.stored_columns:
            assert spec.key in columns
        for spec in kind.columns:
            if not spec.stored:
                assert spec.key not in columns, f"{kind.name}.{spec.key} must not be stored"
        assert ("pupil_id" in columns) == kind.links_to_pupil


def test_migrate_is_idempotent(test_store: Store) -> None:
    registry = default_registry()
    test_store.db.call(lambda c: migrate(c, registry))
    test_store.db.call(lambda c: migrate(c, registry))
    assert test_store.db.call(schema_version) == SCHEMA_VERSION


def test_a_store_from_a_newer_app_is_refused_untouched(test_store: Store, store_path: Path) -> None:
    key = test_store.keys.system
    test_store.close()
    conn = open_connection(store_path, key, privileged=True)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(NewerSchema) as info:
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    assert "新しい版" in info.value.message_ja


def test_a_new_registry_column_is_added_without_losing_rows(
    test_store: Store, store_path: Path
) -> None:
    test_store.db.call(
        lambda c: c.execute(
            "INSERT INTO ds_schools (school_code, school_name, school_type)"
            " VALUES ('00101', '戸田第一小学校', '小学校')"
        )
    )
    test_store.close()
    with resource_path("datasets.toml").open("rb") as fh:
        data = tomllib.load(fh)
    data["kinds"]["schools"]["columns"].append(
        {"key": "address", "label": "所在地", "type": "text"}
    )
    data["kinds"]["clubs"] = {
        "label": "部活動", "domain": "basic", "retention": "shido", "pupil": True,
        "person_refs": True, "natural_key": ["club"], "karte_section": "部活動",
        "columns": [{"key": "club", "label": "部活動名", "type": "text", "required": True}],
    }
    extended = parse_registry(data)
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD, registry=extended) as store:
        assert "address" in _columns(store, "ds_schools")
        assert "pupil_id" in _columns(store, "ds_clubs")
        name = store.db.call(lambda c: c.execute("SELECT school_name FROM ds_schools").fetchone())
        assert name == ("戸田第一小学校",)
