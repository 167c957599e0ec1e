"""Migration 9 (issue 11): analysis results kept per data version.

Two results need a whole year of a city's data and were computed again on every look:

* the survey grade norms behind the karte's survey domains (``analysis.survey_norms``):
  ``survey_norm_sets`` — per school year, the data version they were computed from and when;
  ``survey_norms`` — per school year, grade and domain: mean, standard deviation, pupils;
* the 要因分析 report (``analysis.factors``): ``factor_reports`` — per school year, the data
  version, when, and the report as JSON (aggregate estimates only, no pupil).

The data version (``storage.repos.risk.data_version``) changes with every import and
rollback; results of another version are stale and computed again when next asked for. A
record edited in place changes no import, so triggers on the source tables drop the results
built from them on any update, whatever code path wrote it.
"""

from __future__ import annotations

from storage.connection import Connection

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

_TABLES = (
    """
    CREATE TABLE survey_norm_sets (
        school_year INTEGER PRIMARY KEY,
        data_version TEXT NOT NULL,
        computed_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE survey_norms (
        school_year INTEGER NOT NULL,
        grade INTEGER NOT NULL,
        domain TEXT NOT NULL,
        mean REAL NOT NULL,
        sd REAL NOT NULL,
        pupils INTEGER NOT NULL,
        PRIMARY KEY (school_year, grade, domain)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE factor_reports (
        school_year INTEGER PRIMARY KEY,
        data_version TEXT NOT NULL,
        computed_at TEXT NOT NULL,
        report TEXT NOT NULL
    )
    """,
)


def trigger_name(table: str) -> str:
    return f"kept_results_stale_{table}"


def _trigger(table: str, results: tuple[str, ...]) -> str:
    drops = " ".join(f"DELETE FROM {r};" for r in results)
    return f"CREATE TRIGGER {trigger_name(table)} AFTER UPDATE ON {table} BEGIN {drops} END"


def _ensure_source_tables(conn: Connection) -> dict[str, str]:
    """On a new store the dataset tables are created after the numbered migrations; the
    triggers need their tables now, so they are created here from the registry (as
    migration 4 does). Returns each kind's table name."""
    from storage.registry import default_registry
    from storage.schema import dataset_table_ddl

    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    registry = default_registry()
    tables = {}
    for name in SOURCES:
        kind = registry.kind(name)
        if kind.table not in have:
            for statement in dataset_table_ddl(kind):
                conn.execute(statement)
        tables[name] = kind.table
    return tables


def migrate(conn: Connection) -> None:
    tables = _ensure_source_tables(conn)
    for statement in _TABLES:
        conn.execute(statement)
    for kind, results in SOURCES.items():
        conn.execute(_trigger(tables[kind], results))
