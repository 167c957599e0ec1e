"""Group step 7 (issue 13): research project keys in a file of their own; the key of the
audit log's search-word digests.

* ``research`` group file — ``research_project_keys``: each research project's random key
  (HMAC-SHA256 of the internal pupil id makes its pseudonyms). Until now the key sat in the
  master's file (``research_projects.project_key``, step 3), readable by every holder of the
  basic key; the ``research`` key is sealed only to roles with ``research_export``. A store
  whose master file holds projects keeps the column until a research holder moves the keys
  (``storage.research_keys.move_project_keys``); an empty table loses it here at once.
* master's group file — ``audit_word_key``: one random key; a search's audit entry keeps a
  keyed digest of each word instead of the words (``toda_desktop.search.audit_words``), so the
  log lists no names and a holder of the basic key can still check "was X searched".

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import RESEARCH_GROUP, KeyGroup
from storage.registry import Registry

PROJECT_KEYS = """
    CREATE TABLE {s}.research_project_keys (
        name TEXT PRIMARY KEY,
        project_key BLOB NOT NULL CHECK (length(project_key) = 32)
    )
"""
WORD_KEY = """
    CREATE TABLE {s}.audit_word_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        word_key BLOB NOT NULL CHECK (length(word_key) = 32)
    )
"""


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """The research group's key table; in the master's file the word key's table, and the
    old key column dropped when no project was registered yet (nothing to move)."""
    from storage.migrations.g001_groups import home_group

    if group.name == RESEARCH_GROUP:
        conn.execute(PROJECT_KEYS.format(s=schema))
    if group.name == home_group(registry, registry.master.name):
        conn.execute(WORD_KEY.format(s=schema))
        empty = conn.execute(f"SELECT count(*) FROM {schema}.research_projects").fetchone()[0]
        if int(empty) == 0:
            conn.execute(f"ALTER TABLE {schema}.research_projects DROP COLUMN project_key")
