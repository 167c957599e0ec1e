"""Migration 4: saved extractions (issue 5).

``saved_extractions`` holds named extraction definitions (JSON, no pupil data), see
``toda_desktop.extraction``. Store format 2 (issue 12): the pupil search index this step also
made in format 1 holds names, so it lives in the master's group file (``g001_groups``).
"""

from __future__ import annotations

from storage.connection import Connection

SAVED_EXTRACTIONS = """
    CREATE TABLE saved_extractions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        definition TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
"""


def migrate(conn: Connection) -> None:
    conn.execute(SAVED_EXTRACTIONS)
