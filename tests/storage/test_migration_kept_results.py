"""Kept analysis results (survey grade norms, 要因分析 reports) live in the survey group's file,
and TEMP triggers made at open drop them when a source row is edited in place, even when the
source lives in another group's file (store format 2, issue 12)."""

from __future__ import annotations

from storage.connection import Connection
from storage.kept_results import SOURCES, trigger_name
from storage.placement import schema_of
from storage.registry import default_registry
from storage.store import Store
from tests.storage.test_migration_signin_counters import undo_migration_10

TABLES = tuple(default_registry().kind(k).table for k in SOURCES)


def undo_migration_9(conn: Connection) -> None:
    """What a store file of version 8 lacks: since format 2 only what came after migration 9
    (the kept results are in the survey group's file); for the tests of the earlier steps."""
    undo_migration_10(conn)


def test_the_kept_results_live_in_the_survey_groups_file(test_store: Store) -> None:
    def places(conn: Connection) -> dict[str, str | None]:
        return {t: schema_of(conn, t) for t in ("survey_norms", "survey_norm_sets",
                                                  "factor_reports")}

    assert set(test_store.db.call(places).values()) == {"g_survey"}


def test_editing_a_source_row_in_another_file_drops_the_kept_results(test_store: Store) -> None:
    def run(conn: Connection) -> tuple[set[str], int]:
        triggers = {str(r[0]) for r in conn.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'trigger'")}
        conn.execute("INSERT INTO survey_norm_sets VALUES (2025, 'v1', '2025-06-01T00:00:00')")
        conn.execute("INSERT INTO factor_reports VALUES (2025, 'v1', '2025-06-01', '{}')")
        conn.execute("INSERT INTO ds_students (id, address_code, name, name_kana, birth_date,"
                     " sex) VALUES (1, '0000000001', '山田 太郎', 'ヤマダ タロウ', '2013-04-10',"
                     " '男')")
        conn.execute("UPDATE ds_students SET name = '山田 次郎' WHERE id = 1")  # basic's file
        left = int(conn.execute("SELECT count(*) FROM factor_reports").fetchone()[0])
        return triggers, left

    triggers, left = test_store.db.call(run)
    assert {trigger_name(t) for t in TABLES} <= triggers
    assert left == 0
