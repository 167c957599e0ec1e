"""Group step 3 (issue 13): the research projects, in the master's group file (基本).

A research extract pseudonymises pupils with its project's random key (HMAC-SHA256 of the
internal pupil id). The key is the one thing that turns a project's pseudonyms back into
pupils, so it lives beside the pupils it re-identifies: in the master's group file,
encrypted under that group's key and readable only by accounts that already see every
pupil's name and internal id. The service gives it to no one (only its pseudonyms leave).
A project's purpose and its approval by the project lead are kept with it.

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import KeyGroup
from storage.registry import Registry

PROJECTS = """
    CREATE TABLE {s}.research_projects (
        name TEXT PRIMARY KEY,
        project_key BLOB NOT NULL CHECK (length(project_key) = 32),
        purpose TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        approved_by TEXT,
        approved_at TEXT
    )
"""


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """Create the projects table in the master's group file only."""
    from storage.migrations.g001_groups import home_group

    if group.name == home_group(registry, registry.master.name):
        conn.execute(PROJECTS.format(s=schema))
