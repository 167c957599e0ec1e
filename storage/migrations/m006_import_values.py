"""Migration 6 (issue 10): repeated health-room visits, and each source's own value spellings.

``import_value_maps``: how a source writes the values of a column with a list of values
(頭痛 → 内科 in 症状区分), saved per source and kind like the header mapping.

Health-room visits are told apart by every column, and identical ones are numbered.

Before, a visit was (pupil, 利用日, 入室時刻): two visits of one pupil on one day without
入室時刻 collided in the unique index and the whole import failed (issue 10). Now rows that
differ in any column are separate visits, and rows identical in every column may be kept as
repeated visits, numbered by ``occurrence`` (1, 2, …) so that importing the same file again
adds nothing. The new key is finer than the old one, so every stored row stays unique; the
rows themselves are kept as they are (``occurrence`` = 1).

Written out in full (not derived from the registry) so that this step never changes; a new
store gets the same table from ``schema.dataset_table_ddl``.
"""

from __future__ import annotations

from storage.connection import Connection

TABLE = "ds_health_room_visits"
NEW_INDEX = (
    f"CREATE UNIQUE INDEX {TABLE}_natural ON {TABLE} (pupil_id, visit_date,"
    " ifnull(time_in, ''), ifnull(time_out, ''), ifnull(symptom, ''), occurrence)"
)


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
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    if exists is None:  # a new store: the registry sync creates the table as it is now
        return
    columns = {str(r[1]) for r in conn.execute(f'PRAGMA table_info("{TABLE}")')}
    for column in ("time_out", "symptom"):
        if column not in columns:
            conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} TEXT")
    if "occurrence" not in columns:
        conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN occurrence INTEGER NOT NULL DEFAULT 1")
    conn.execute(f"DROP INDEX IF EXISTS {TABLE}_natural")
    conn.execute(NEW_INDEX)
