"""Migration 4: pupil search index and saved extractions (issue 5).

The search index is derived from ``ds_students`` and ``ds_enrollments``:

* ``search_pupils`` — one row per pupil: the search keys of the name and the kana (variants
  folded, hiragana/katakana unified, no spaces), a kana sort key, and the pupil's latest
  enrollment (for the result list and for filters without a school year).
* ``search_trigrams`` — FTS5 ``trigram`` index of the two keys (queries of 3+ characters).
* ``search_grams`` — FTS5 over the keys' 1- and 2-character grams written as words
  (queries of 1–2 characters; the trigram index cannot answer those).
* ``search_ids`` — 宛名番号, 県学調番号 and Googleアカウント in searchable forms.
* ``search_pending`` — pupils whose index rows are out of date. Triggers on the two source
  tables enqueue a pupil on every insert, update and delete, whatever code path wrote it, so
  the index can never silently go stale; the keys themselves are computed in Python (the
  name normalization of ``analysis.names``) when the queue is drained
  (``toda_desktop.search.keys.refresh_search_index`` / ``refresh_pending``).

``saved_extractions`` holds named extraction definitions (JSON), see
``toda_desktop.extraction``.
"""

from __future__ import annotations

from storage.connection import Connection

SOURCE_TABLES = ("students", "enrollments")

_TABLES = (
    """
    CREATE TABLE search_pupils (
        pupil_id INTEGER PRIMARY KEY,
        name_key TEXT NOT NULL,
        kana_key TEXT NOT NULL,
        kana_sort TEXT NOT NULL,
        latest_year INTEGER,
        latest_enrollment_id INTEGER
    )
    """,
    "CREATE VIRTUAL TABLE search_trigrams USING fts5(name, kana, tokenize = 'trigram')",
    "CREATE VIRTUAL TABLE search_grams USING fts5("
    "name, kana, tokenize = 'unicode61 remove_diacritics 0')",
    """
    CREATE TABLE search_ids (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        pupil_id INTEGER NOT NULL,
        PRIMARY KEY (kind, value, pupil_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX search_ids_pupil ON search_ids (pupil_id)",
    "CREATE TABLE search_pending (pupil_id INTEGER PRIMARY KEY)",
    # Class lists (filters without a name) by year, school, grade and class.
    "CREATE INDEX search_enrollment_filters"
    " ON ds_enrollments (school_year, school_code, grade, class_name)",
    """
    CREATE TABLE saved_extractions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        definition TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
)


def _triggers() -> list[str]:
    out = []
    for table, key in (("ds_students", "id"), ("ds_enrollments", "pupil_id")):
        out += [
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (new.{key}); END",
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE ON {table} BEGIN"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (old.{key});"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (new.{key}); END",
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (old.{key}); END",
        ]
    return out


def _ensure_source_tables(conn: Connection) -> None:
    """On a new store the dataset tables are created after the numbered migrations; the
    triggers need the two source tables now, so they are created here from the registry
    (``sync_dataset_tables`` then finds them and only adds newer columns)."""
    from storage.registry import default_registry
    from storage.schema import dataset_table_ddl

    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    registry = default_registry()
    for name in SOURCE_TABLES:
        kind = registry.kind(name)
        if kind.table not in have:
            for statement in dataset_table_ddl(kind):
                conn.execute(statement)


def _sqlite_version(conn: Connection) -> tuple[int, ...]:
    text = str(conn.execute("SELECT sqlite_version()").fetchone()[0])
    return tuple(int(p) for p in text.split("."))


def migrate(conn: Connection) -> None:
    _ensure_source_tables(conn)
    for statement in (*_TABLES, *_triggers()):
        conn.execute(statement)
    if _sqlite_version(conn) >= (3, 42):
        # Deleted rows' words must not stay in the FTS index pages (retention, removal of
        # identifying data): SQLCipher's secure_delete does not reach inside FTS5 segments.
        for table in ("search_trigrams", "search_grams"):
            conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('secure-delete', 1)")
    # A store upgraded from version 3 already holds pupils: index them at the next search.
    conn.execute("INSERT INTO search_pending (pupil_id) SELECT id FROM ds_students")
