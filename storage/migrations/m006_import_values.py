"""Migration 6 (issue 10): repeated health-room visits, and each source's own value spellings.

``import_value_maps``: how a source writes the values of a column with a list of values
(頭痛 → 内科 in 症状区分), saved per source and kind like the header mapping.

Store format 2 (issue 12): in format 1 this step also gave the health-room visits their
finer natural key (every column and ``occurrence``); in format 2 that table lives in its
group's file and is created with that key (``storage.schema.dataset_table_ddl``).
"""

from __future__ import annotations

from storage.connection import Connection

VALUE_MAPS = """
    CREATE TABLE import_value_maps (
        source_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        column_key TEXT NOT NULL,
        raw_value TEXT NOT NULL,
        value TEXT NOT NULL,
        saved_by TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (source_key, kind, column_key, raw_value)
    )
"""


def migrate(conn: Connection) -> None:
    conn.execute(VALUE_MAPS)
