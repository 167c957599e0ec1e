"""Migration 3: saved header mappings, and the numbers of the 名寄せ review items.

Store format 2 (issue 12): the review queue's rows, remembered decisions and overwritten rows
hold pupil data, so they live in the key groups' files (``g001_groups``); the store file keeps
the header mappings and ``review_items``, which only numbers the review items across groups
(item number → kind, no value).

Written out in full so that this step never changes (see ``storage.schema``).
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE import_mappings (
            source_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            raw_header TEXT NOT NULL,
            column_key TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (source_key, kind, raw_header)
        );
        CREATE TABLE review_items (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL
        )
        """,
    )
