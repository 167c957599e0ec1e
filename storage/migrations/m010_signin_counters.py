"""Migration 10 (issue 12): sign-in counters and accepted scanner backends inside the store.

Password failures are counted in ``STORE.signin`` before the store can be unlocked; a copy of
those counters is kept here, in the store file every account holds (the ``system`` group), and
compared with the outside file at every unlock, so that deleting, resetting or restoring an
older copy of that file is noticed (``toda_desktop.signin_record``):

* ``signin_file`` — the one outside file this store last agreed with: its random id and its
  save serial (both only grow within one file);
* ``signin_counters`` — per account slot: consecutive and lifetime failures of each factor,
  and whether the slot is locked (and why);
* ``scanner_backends`` — the scanner backends the store accepts, recorded when it was made:
  name, version and a digest of the plugin package's files (``simulator`` marks the built-in
  simulator, accepted only by demo stores and stores made by the test suite).

Written out in full so that this step never changes (see ``storage.schema``).
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE signin_file (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            file_id TEXT NOT NULL,
            serial INTEGER NOT NULL,
            synced_at TEXT NOT NULL
        );
        CREATE TABLE signin_counters (
            slot TEXT PRIMARY KEY,
            password_failures INTEGER NOT NULL DEFAULT 0,
            palm_failures INTEGER NOT NULL DEFAULT 0,
            password_total INTEGER NOT NULL DEFAULT 0,
            palm_total INTEGER NOT NULL DEFAULT 0,
            locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
            locked_by TEXT,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE scanner_backends (
            name TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            digest TEXT NOT NULL,
            simulator INTEGER NOT NULL DEFAULT 0 CHECK (simulator IN (0, 1)),
            recorded_at TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    )
