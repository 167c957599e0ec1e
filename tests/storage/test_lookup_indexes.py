"""Plain lookup indexes beside the natural keys (migration 8) and the planner's statistics."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection, transaction
from storage.registry import default_registry
from storage.repos import datasets
from storage.schema import SCHEMA_VERSION
from storage.statistics import refresh_after_import
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.storage.test_migration_kept_results import undo_migration_9
from toda_desktop.store_setup import create_empty_store


def _indexes(conn: Connection, table: str) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
        " AND sql IS NOT NULL", (table,))}


def _stat_tables(conn: Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT tbl FROM sqlite_stat1")}


def _add_survey_items(conn: Connection, count: int) -> None:
    kind = default_registry().kind("survey_items")
    columns = ["survey_code", "school_year", "grade", "item_code", "domain"]
    rows = [("toda_life", 2025, 1 + i % 6, f"Q{i:03d}", "生活") for i in range(count)]
    with transaction(conn):
        datasets.insert_rows(conn, kind, columns, rows)


def test_a_new_store_has_the_lookup_index_beside_the_unique_key(test_store: Store) -> None:
    indexes = test_store.db.call(lambda c: _indexes(c, "ds_survey_items"))
    assert "ifnull(school_year" in indexes["ds_survey_items_natural"]
    assert "UNIQUE" in indexes["ds_survey_items_natural"]
    lookup = indexes["ds_survey_items_lookup"]
    assert "ifnull" not in lookup and "UNIQUE" not in lookup
    assert "(survey_code, school_year, item_code, grade)" in lookup


def test_a_version_7_store_gets_the_lookup_index(store_path: Path) -> None:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=2**10)

    def make_version_7(conn: Connection) -> None:
        undo_migration_9(conn)
        conn.execute("DROP INDEX ds_survey_items_lookup")
        conn.execute("PRAGMA user_version = 7")

    created.store.db.call(make_version_7)
    created.store.close()
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert "ds_survey_items_lookup" in store.db.call(
            lambda c: _indexes(c, "ds_survey_items"))
        assert store.db.call(
            lambda c: c.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION


def test_opening_a_store_gathers_statistics_for_tables_never_analyzed(
    test_store: Store, store_path: Path
) -> None:
    test_store.db.call(lambda c: _add_survey_items(c, 300))
    test_store.db.call(lambda c: c.execute("DROP TABLE IF EXISTS sqlite_stat1"))
    test_store.close()
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert "ds_survey_items" in store.db.call(_stat_tables)
        # Readers opened with the store plan with the same statistics.
        assert "ds_survey_items" in store.db.read(_stat_tables)


def test_an_import_commit_can_refresh_the_statistics_of_the_tables_it_wrote(
    test_store: Store,
) -> None:
    def rows_seen(conn: Connection) -> int:
        stat = conn.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'ds_survey_items_lookup'"
                            ).fetchone()
        return 0 if stat is None else int(str(stat[0]).split()[0])

    test_store.db.call(lambda c: c.execute("ANALYZE"))
    test_store.db.call(lambda c: _add_survey_items(c, 120))
    assert test_store.db.call(rows_seen) == 0
    test_store.db.call(lambda c: refresh_after_import(c, ["ds_survey_items", "no_such_table"]))
    assert test_store.db.call(rows_seen) == 120
