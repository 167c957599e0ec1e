"""Group step 1 (store format 2, issue 12): what each key group's file holds besides its kinds.

Every table with pupil data lives in the file of the group whose data it holds, encrypted
under that group's key (``docs/ARCHITECTURE.md``, "Key groups and their files"):

* every group: ``review_queue`` — the 名寄せ review items of the group's kinds (the row as the
  file had it, and the candidate pupils; the item numbers come from the store file's
  ``review_items``) and ``batch_overwrites`` — the values an import overwrote, kept for its
  rollback;
* the master's group (基本): the pupil search index (derived from ``ds_students`` and
  ``ds_enrollments``; see below) and ``linkage_decisions`` (remembered 名寄せ decisions);
* the group of the monthly attendance (出欠): the truancy-risk models, monthly alerts and
  their status history;
* the group of the survey answers (調査): the kept survey grade norms and 要因分析 reports. A
  要因分析 report also draws on attendance and academic results: it is kept in the survey
  group (held, by the map, only by roles that see every domain) and only by a user who holds
  every group it draws on (``toda_desktop.risk.factor_reports``).

The search index: ``search_pupils`` (one row per pupil: folded name and kana keys, a kana sort
key, the latest enrollment), ``search_trigrams`` (FTS5 trigram index, queries of 3+
characters), ``search_grams`` (FTS5 over 1- and 2-character grams), ``search_ids`` (宛名番号,
県学調番号, Googleアカウント) and ``search_pending`` (pupils whose rows are out of date).
Triggers on the two source tables, in the same file, enqueue a pupil on every insert, update
and delete, whatever code path wrote it; the keys are computed in Python when the queue is
drained (``toda_desktop.search.keys``).

Written out in full so that this step never changes; a later group step is ``gNNN_*.py``.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import KeyGroup
from storage.registry import Registry

# The kind whose group holds each set of derived tables (the master's group when a registry
# has no such kind).
RISK_HOME = "attendance_monthly"
SURVEY_HOME = "survey_responses"

EVERY_GROUP = (
    """
    CREATE TABLE {s}.review_queue (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        source_name TEXT NOT NULL,
        source_row INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        row_json TEXT NOT NULL,
        candidates_json TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'linked', 'rejected')),
        pupil_id INTEGER,
        decided_by TEXT,
        decided_at TEXT
    )
    """,
    "CREATE INDEX {s}.review_queue_status ON review_queue (status, batch_id)",
    """
    CREATE TABLE {s}.batch_overwrites (
        batch_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        record_id INTEGER NOT NULL,
        old_json TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.batch_overwrites_batch ON batch_overwrites (batch_id)",
)

MASTER_GROUP = (
    """
    CREATE TABLE {s}.linkage_decisions (
        fingerprint TEXT PRIMARY KEY,
        pupil_id INTEGER,
        decision TEXT NOT NULL CHECK (decision IN ('link', 'reject')),
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE {s}.search_pupils (
        pupil_id INTEGER PRIMARY KEY,
        name_key TEXT NOT NULL,
        kana_key TEXT NOT NULL,
        kana_sort TEXT NOT NULL,
        latest_year INTEGER,
        latest_enrollment_id INTEGER
    )
    """,
    "CREATE VIRTUAL TABLE {s}.search_trigrams USING fts5(name, kana, tokenize = 'trigram')",
    "CREATE VIRTUAL TABLE {s}.search_grams USING fts5("
    "name, kana, tokenize = 'unicode61 remove_diacritics 0')",
    """
    CREATE TABLE {s}.search_ids (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        pupil_id INTEGER NOT NULL,
        PRIMARY KEY (kind, value, pupil_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX {s}.search_ids_pupil ON search_ids (pupil_id)",
    "CREATE TABLE {s}.search_pending (pupil_id INTEGER PRIMARY KEY)",
    # Class lists (filters without a name) by year, school, grade and class.
    "CREATE INDEX {s}.search_enrollment_filters"
    " ON ds_enrollments (school_year, school_code, grade, class_name)",
)

SEARCH_SOURCES = (("ds_students", "id"), ("ds_enrollments", "pupil_id"))

RISK_GROUP = (
    """
    CREATE TABLE {s}.risk_models (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        data_version TEXT NOT NULL,
        config_json TEXT NOT NULL,
        metrics_json TEXT NOT NULL,
        card_json TEXT NOT NULL,
        model BLOB NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired'))
    )
    """,
    """
    CREATE TABLE {s}.risk_alerts (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        pupil_id INTEGER NOT NULL,
        school_code TEXT NOT NULL,
        rank INTEGER NOT NULL CHECK (rank >= 1),
        band TEXT NOT NULL CHECK (band IN ('高', '中', '低')),
        reasons_json TEXT NOT NULL,
        model_id INTEGER NOT NULL REFERENCES risk_models(id),
        created_at TEXT NOT NULL,
        UNIQUE (month, model_id, pupil_id)
    )
    """,
    "CREATE INDEX {s}.risk_alerts_month ON risk_alerts (month, model_id, school_code, rank)",
    "CREATE INDEX {s}.risk_alerts_pupil ON risk_alerts (pupil_id)",
    """
    CREATE TABLE {s}.risk_alert_status (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES risk_alerts(id),
        status TEXT NOT NULL CHECK (status IN ('確認済み', '見守り', '支援開始', '対象外')),
        note TEXT NOT NULL DEFAULT '',
        marked_by TEXT NOT NULL,
        marked_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.risk_alert_status_alert ON risk_alert_status (alert_id, id)",
)

SURVEY_GROUP = (
    """
    CREATE TABLE {s}.survey_norm_sets (
        school_year INTEGER PRIMARY KEY,
        data_version TEXT NOT NULL,
        computed_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE {s}.survey_norms (
        school_year INTEGER NOT NULL,
        grade INTEGER NOT NULL,
        domain TEXT NOT NULL,
        mean REAL NOT NULL,
        sd REAL NOT NULL,
        pupils INTEGER NOT NULL,
        PRIMARY KEY (school_year, grade, domain)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE {s}.factor_reports (
        school_year INTEGER PRIMARY KEY,
        data_version TEXT NOT NULL,
        computed_at TEXT NOT NULL,
        report TEXT NOT NULL
    )
    """,
)


def home_group(registry: Registry, kind_name: str) -> str:
    """The group that holds the derived tables built from ``kind_name``."""
    from storage.key_groups import group_of

    name = kind_name if kind_name in registry.names else registry.master.name
    return group_of(registry, name).name


def _search_triggers(schema: str) -> list[str]:
    out = []
    for table, key in SEARCH_SOURCES:
        out += [
            f"CREATE TRIGGER {schema}.search_{table}_insert AFTER INSERT ON {table} BEGIN"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (new.{key}); END",
            f"CREATE TRIGGER {schema}.search_{table}_update AFTER UPDATE ON {table} BEGIN"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (old.{key});"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (new.{key}); END",
            f"CREATE TRIGGER {schema}.search_{table}_delete AFTER DELETE ON {table} BEGIN"
            f" INSERT OR IGNORE INTO search_pending (pupil_id) VALUES (old.{key}); END",
        ]
    return out


def _sqlite_version(conn: Connection) -> tuple[int, ...]:
    text = str(conn.execute("SELECT sqlite_version()").fetchone()[0])
    return tuple(int(p) for p in text.split("."))


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """Create the group's dataset tables and the derived tables it is the home of."""
    from storage.schema import sync_group_tables

    sync_group_tables(conn, registry, group, schema)
    statements = list(EVERY_GROUP)
    master = group.name == home_group(registry, registry.master.name)
    if master:
        statements += MASTER_GROUP
    if group.name == home_group(registry, RISK_HOME):
        statements += RISK_GROUP
    if group.name == home_group(registry, SURVEY_HOME):
        statements += SURVEY_GROUP
    for statement in statements:
        conn.execute(statement.format(s=schema))
    if master:
        for statement in _search_triggers(schema):
            conn.execute(statement)
        if _sqlite_version(conn) >= (3, 42):
            # Deleted rows' words must not stay in the FTS index pages (retention, removal of
            # identifying data): SQLCipher's secure_delete does not reach inside FTS5 segments.
            for table in ("search_trigrams", "search_grams"):
                conn.execute(f"INSERT INTO {schema}.{table} ({table}, rank)"
                             " VALUES ('secure-delete', 1)")
