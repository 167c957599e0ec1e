"""Kept analysis results are dropped when a record they were built from is edited in place.

The data version (``storage.repos.risk.data_version``) changes with every import and
rollback, so kept results of another version are computed again when next asked for; a record
edited in place changes no import. Triggers drop the results built from a table on any update,
whatever code path wrote it. Since store format 2 (issue 12) a result and its sources may live
in different group files, and SQLite keeps a trigger in one file only: these are TEMP triggers,
made on the writer connection at each open for the tables that are attached (a result whose
group is not attached cannot be stale in any file this account can read).
"""

from __future__ import annotations

from storage.connection import Connection
from storage.placement import schema_of

NORMS = "survey_norm_sets"
FACTORS = "factor_reports"
# Dataset kind → the kept results built from its rows.
SOURCES = {
    "enrollments": (NORMS, FACTORS),
    "survey_items": (NORMS, FACTORS),
    "survey_responses": (NORMS, FACTORS),
    "attendance_monthly": (FACTORS,),
    "academic_results": (FACTORS,),
    "students": (FACTORS,),
}


def trigger_name(table: str) -> str:
    return f"kept_results_stale_{table}"


def create_stale_triggers(conn: Connection) -> None:
    """The TEMP triggers for every attached source table with an attached kept result."""
    for kind, results in SOURCES.items():
        table = f"ds_{kind}"
        source = schema_of(conn, table)
        present = [r for r in results if schema_of(conn, r) is not None]
        if source is None or not present:
            continue
        drops = " ".join(f"DELETE FROM {r};" for r in present)
        conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS {trigger_name(table)}"
                     f" AFTER UPDATE ON {source}.{table} BEGIN {drops} END")
