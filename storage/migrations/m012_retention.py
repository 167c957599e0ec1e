"""Migration 12 (issue 13): retention plans and their approval, in the store file.

A purge is planned first (a dry run: what would go, counted per kind and school year), then
approved by the project lead, then run. ``retention_plans`` keeps who planned, approved and
ran it, for which day, which key groups it covered and what it could not see;
``retention_plan_rows`` the counts (``done``: what the run removed). Counts, key group names,
kind names and a digest of record numbers only: no personal data, so the store file (which
every account can open) may hold them.

Written out in full so that this step never changes; ``IF NOT EXISTS``: a store whose
version number was set back already has the tables.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS retention_plans (
            id INTEGER PRIMARY KEY,
            made_at TEXT NOT NULL,
            made_by TEXT NOT NULL,
            as_of TEXT NOT NULL,
            latest_year INTEGER NOT NULL,
            groups_json TEXT NOT NULL,
            unseen_json TEXT NOT NULL,
            digest TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'approved', 'done', 'withdrawn')),
            approved_by TEXT,
            approved_at TEXT,
            run_by TEXT,
            run_at TEXT
        );
        CREATE TABLE IF NOT EXISTS retention_plan_rows (
            plan_id INTEGER NOT NULL REFERENCES retention_plans(id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            school_year INTEGER NOT NULL,
            action TEXT NOT NULL,
            records INTEGER NOT NULL,
            pupils INTEGER NOT NULL,
            done INTEGER,
            PRIMARY KEY (plan_id, position),
            UNIQUE (plan_id, kind, school_year, action)
        ) WITHOUT ROWID
        """,
    )
