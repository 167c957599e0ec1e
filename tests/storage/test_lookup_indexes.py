"""Plain lookup indexes beside the natural keys and the planner's statistics (each group's
file has its own statistics since store format 2)."""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection, transaction
from storage.placement import schema_of, schemas_with
from storage.registry import default_registry
from storage.repos import datasets
from storage.statistics import refresh_after_import
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD


def _indexes(conn: Connection, table: str) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in conn.execute(
        f"SELECT name, sql FROM {schema_of(conn, table)}.sqlite_master"
        " WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))}


def _stat_tables(conn: Connection) -> set[str]:
    return {str(r[0]) for schema in schemas_with(conn, "sqlite_stat1")
            for r in conn.execute(f"SELECT tbl FROM {schema}.sqlite_stat1")}


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


def test_opening_a_store_gathers_statistics_for_tables_never_analyzed(
    test_store: Store, store_path: Path
) -> None:
    test_store.db.call(lambda c: _add_survey_items(c, 300))
    test_store.db.call(lambda c: [c.execute(f"DROP TABLE IF EXISTS {s}.sqlite_stat1")
                                  for s in schemas_with(c, "sqlite_stat1")])
    test_store.close()
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert "ds_survey_items" in store.db.call(_stat_tables)
        # Readers opened with the store plan with the same statistics.
        assert "ds_survey_items" in store.db.read(_stat_tables)


def test_an_import_commit_can_refresh_the_statistics_of_the_tables_it_wrote(
    test_store: Store,
) -> None:
    def rows_seen(conn: Connection) -> int:
        stat = conn.execute(f"SELECT stat FROM {schema_of(conn, 'ds_survey_items')}.sqlite_stat1"
                            " WHERE idx = 'ds_survey_items_lookup'").fetchone()
        return 0 if stat is None else int(str(stat[0]).split()[0])

    test_store.db.call(lambda c: c.execute("ANALYZE"))
    test_store.db.call(lambda c: _add_survey_items(c, 120))
    assert test_store.db.call(rows_seen) == 0
    test_store.db.call(lambda c: refresh_after_import(c, ["ds_survey_items", "no_such_table"]))
    assert test_store.db.call(rows_seen) == 120
