"""Migration 8 (issue 11): plain lookup indexes for the joins the natural-key index can't serve.

A natural-key unique index compares ``ifnull(column, '')`` for a key column that may be blank
(the import's rule: a blank equals another blank). SQLite can use such an index only for an
expression written the same way, so a join on the plain column (``i.school_year =
r.school_year AND i.grade = e.grade``) could use just the leading ``survey_code`` and the
survey join behind the karte's domain judgments, 要因分析 and every training scanned the
year's answers once per item. The unique indexes stay as they are (they are the import's
key); these plain indexes sit beside them. ``storage.schema.LOOKUP_INDEXES`` holds the same
statements for a new store, where the dataset tables are created after the numbered steps.

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection

TABLE = "ds_survey_items"
INDEX = (
    f"CREATE INDEX IF NOT EXISTS {TABLE}_lookup"
    f" ON {TABLE} (survey_code, school_year, item_code, grade)"
)


def migrate(conn: Connection) -> None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    if exists is not None:  # a new store: the registry sync creates it with the table
        conn.execute(INDEX)
