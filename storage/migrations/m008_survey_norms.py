"""Migration 8 (issue 11): the survey grade norms, kept per data version.

The karte judges a pupil's survey domains against the grade (``analysis.survey_norms``);
the grade's mean and spread need a whole year of answers, which took seconds to read on
every karte opened. They are computed once and kept here:

* ``survey_norm_sets`` — per school year, the data version the norms were computed from
  (``storage.repos.risk.data_version``: it changes with every import and rollback) and when;
* ``survey_norms`` — per school year, grade and domain: mean, standard deviation, pupils.

Norms of another data version are stale and computed again when next needed. A record edited
in place changes no import, so triggers on the three source tables drop every norm set on any
update, whatever code path wrote it.
"""

from __future__ import annotations

from storage.connection import Connection

SOURCE_TABLES = ("enrollments", "survey_items", "survey_responses")

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
)


def _triggers(tables: tuple[str, ...]) -> list[str]:
    return [f"CREATE TRIGGER survey_norms_stale_{table} AFTER UPDATE ON {table}"
            " BEGIN DELETE FROM survey_norm_sets; END" for table in tables]


def _ensure_source_tables(conn: Connection) -> tuple[str, ...]:
    """On a new store the dataset tables are created after the numbered migrations; the
    triggers need their tables now, so they are created here from the registry (as
    migration 4 does). Returns the tables' names."""
    from storage.registry import default_registry
    from storage.schema import dataset_table_ddl

    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    registry = default_registry()
    tables = []
    for name in SOURCE_TABLES:
        kind = registry.kind(name)
        if kind.table not in have:
            for statement in dataset_table_ddl(kind):
                conn.execute(statement)
        tables.append(kind.table)
    return tuple(tables)


def migrate(conn: Connection) -> None:
    tables = _ensure_source_tables(conn)
    for statement in (*_TABLES, *_triggers(tables)):
        conn.execute(statement)
