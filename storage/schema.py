"""Numbered migrations of the core schema, and the dataset tables derived from the registry.

Store format 2 (issue 12): the store file and each key group's file have their own schema
version (``PRAGMA user_version`` of each file). The store file's tables change only through a
numbered step (``storage/migrations/mNNN_*.py``, ``MIGRATIONS``); a group file's derived tables
through a group step (``gNNN_*.py``, ``GROUP_MIGRATIONS``), run on the groups whose files are
attached, i.e. when someone who holds that group's key opens the store. Dataset tables follow
the registry, each in its group's file: ``sync_dataset_tables`` creates a missing table, adds
a new column and its indexes, so that a new dataset kind or column is an edit to
``resources/datasets.toml``. It never drops anything. After migrating, the planner's
statistics are brought up to date (``storage.statistics``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from storage.connection import Connection, transaction
from storage.errors import NewerSchema, OldStoreFormat
from storage.key_groups import KeyGroup
from storage.migrations import (
    g001_groups,
    g002_pseudonyms,
    g003_research,
    g004_cases,
    g005_alert_corrections,
    g006_case_drafts,
    g007_research_keys,
    g008_audit_reader,
    m001_core,
    m002_sign_in,
    m003_import,
    m004_search,
    m005_risk,
    m006_import_values,
    m007_batch_confirmations,
    m008_lookup_indexes,
    m009_kept_results,
    m010_signin_counters,
    m011_signed_audit,
    m012_retention,
    m013_export_purposes,
    m014_print_log,
    m015_audit_seal,
)
from storage.registry import BLANK_KEY, OCCURRENCE, DatasetKind, Registry
from storage.statistics import refresh_statistics

Migration = Callable[[Connection], None]
# A group step: (connection, the group file's schema name, the group, the registry).
GroupMigration = Callable[[Connection, str, KeyGroup, Registry], None]


MIGRATIONS: tuple[Migration, ...] = (
    m001_core.migrate,
    m002_sign_in.migrate,
    m003_import.migrate,
    m004_search.migrate,
    m005_risk.migrate,
    m006_import_values.migrate,
    m007_batch_confirmations.migrate,
    m008_lookup_indexes.migrate,
    m009_kept_results.migrate,
    m010_signin_counters.migrate,
    m011_signed_audit.migrate,
    m012_retention.migrate,
    m013_export_purposes.migrate,
    m014_print_log.migrate,  # issue 14: the print log
    m015_audit_seal.migrate,  # the audit log's sealed parts (audit reader keys)
)
SCHEMA_VERSION = len(MIGRATIONS)
GROUP_MIGRATIONS: tuple[GroupMigration, ...] = (
    g001_groups.migrate,
    g002_pseudonyms.migrate,  # issue 13: pseudonyms of de-identified pupils
    g003_research.migrate,  # issue 13: research projects
    g004_cases.migrate,  # issue 14: support cases in their domain's file
    g005_alert_corrections.migrate,  # issue 16: corrections of alert marks
    g006_case_drafts.migrate,  # issue 14: a case draft names its pupil (retention)
    g007_research_keys.migrate,  # issue 13: research keys apart; the audit word key
    g008_audit_reader.migrate,  # the audit reader's private key
)
GROUP_SCHEMA_VERSION = len(GROUP_MIGRATIONS)
# The store's layout: 1 = everything in one file under one key; 2 = one file per key group.
STORE_FORMAT = 2


def schema_version(conn: Connection, schema: str = "main") -> int:
    return int(conn.execute(f"PRAGMA {schema}.user_version").fetchone()[0])


def check_store_format(conn: Connection) -> None:
    """Refuse a format-1 store (one file, one key): its pupil tables sit in the store file,
    which every account can open. Such stores were made before release (demo and test data),
    and are made again rather than converted."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                       ).fetchone()
    if row is None:
        return  # a new, empty store file
    fmt = conn.execute("SELECT value FROM meta WHERE key = 'store_format'").fetchone()
    if fmt is None or int(fmt[0]) < STORE_FORMAT:
        raise OldStoreFormat()


def migrate(
    conn: Connection, registry: Registry, groups: Sequence[tuple[str, KeyGroup]] = ()
) -> int:
    """Bring the store file and each attached group file (``groups``: schema name, group) to
    this code's schema; each step is its own transaction. A group whose key the account does
    not hold is not attached and waits for someone who holds it. Run once per lane (each
    lane's connection attaches its own groups' files; the store file is the same)."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise NewerSchema()
    for number in range(current + 1, SCHEMA_VERSION + 1):
        with transaction(conn):
            if schema_version(conn) >= number:
                continue  # (another session opening at the same time ran it)
            MIGRATIONS[number - 1](conn)
            conn.execute(f"PRAGMA user_version = {number:d}")
    for schema, group in groups:
        _group_steps(conn, registry, schema, group)
    pending: list[str] = []
    for schema, group in groups:
        pending += sync_group_statements(conn, registry, group, schema)
    if pending:  # (an up-to-date store opens without a write transaction)
        with transaction(conn):
            for statement in pending:
                conn.execute(statement)
    refresh_statistics(conn)
    return SCHEMA_VERSION


def migrate_group(conn: Connection, registry: Registry, schema: str, group: KeyGroup) -> None:
    """Bring one attached group file to this code's group schema and the registry's kinds."""
    _group_steps(conn, registry, schema, group)
    with transaction(conn):
        sync_group_tables(conn, registry, group, schema)


def _group_steps(conn: Connection, registry: Registry, schema: str, group: KeyGroup) -> None:
    """The group steps the attached file lacks, each in its own transaction."""
    current = schema_version(conn, schema)
    if current > GROUP_SCHEMA_VERSION:
        raise NewerSchema()
    for number in range(current + 1, GROUP_SCHEMA_VERSION + 1):
        with transaction(conn):
            if schema_version(conn, schema) >= number:
                continue  # (another session opening at the same time ran it)
            GROUP_MIGRATIONS[number - 1](conn, schema, group, registry)
            conn.execute(f"PRAGMA {schema}.user_version = {number:d}")


def _existing_columns(conn: Connection, table: str, schema: str = "main") -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]


def natural_index_sql(kind: DatasetKind, schema: str = "main") -> str:
    """The unique index on ``kind.unique_key``. An empty optional key column means "not
    given": it must still collide with itself, so the index compares ifnull(column, '')
    (NULLs are distinct in SQLite); the import's preview applies the same rule."""
    key = [f"ifnull({k}, '{BLANK_KEY}')" if kind.key_may_be_blank(k) else k
           for k in kind.unique_key]
    return (f"CREATE UNIQUE INDEX {schema}.{kind.table}_natural"
            f" ON {kind.table} ({', '.join(key)})")


# Plain indexes beside the natural-key one, for joins on key columns the natural index wraps in
# ifnull() (kind name -> columns). A new store gets them here; stores made before issue 11 got
# them from migration 8.
LOOKUP_INDEXES: dict[str, tuple[str, ...]] = {
    "survey_items": ("survey_code", "school_year", "item_code", "grade"),
}


def lookup_index_sql(kind: DatasetKind, schema: str = "main") -> list[str]:
    columns = LOOKUP_INDEXES.get(kind.name)
    if columns is None:
        return []
    return [f"CREATE INDEX IF NOT EXISTS {schema}.{kind.table}_lookup"
            f" ON {kind.table} ({', '.join(columns)})"]


def dataset_table_ddl(
    kind: DatasetKind, schema: str = "main", *, pupil_reference: bool = True
) -> list[str]:
    """CREATE statements for one kind in ``schema``. Identifiers are checked by the registry
    loader. A foreign key can only name a table of the same file: ``pupil_reference`` only
    where the master lives in the same group; ``batch_id`` names a batch of the store file,
    so it is a plain integer (the import and its rollback keep it right)."""
    cols = ["id INTEGER PRIMARY KEY"]
    if kind.links_to_pupil:
        cols.append("pupil_id INTEGER NOT NULL"
                    + (" REFERENCES ds_students(id)" if pupil_reference else ""))
    cols += [
        "batch_id INTEGER",
        "source_row INTEGER",
    ]
    cols += [f"{c.key} {c.sql_type}" for c in kind.stored_columns]
    if kind.repeats:
        cols.append(f"{OCCURRENCE} INTEGER NOT NULL DEFAULT 1")
    statements = [
        f"CREATE TABLE {schema}.{kind.table} (\n    " + ",\n    ".join(cols) + "\n)",
        natural_index_sql(kind, schema),
        f"CREATE INDEX {schema}.{kind.table}_batch ON {kind.table} (batch_id)",
    ]
    if kind.year_column is not None:
        statements.append(
            f"CREATE INDEX {schema}.{kind.table}_year ON {kind.table} ({kind.year_column})"
        )
    return statements + lookup_index_sql(kind, schema)


def _group_kinds(registry: Registry, group: KeyGroup) -> list[DatasetKind]:
    # The master first: other tables of its group reference it.
    return sorted((registry.kind(n) for n in group.kinds if n in registry.names),
                  key=lambda k: not k.master)


def sync_dataset_tables(conn: Connection, registry: Registry) -> None:
    """Every reachable dataset table as the registry has them: each attached group file (a
    group not attached waits for someone holding its key)."""
    from storage.key_groups import key_groups
    from storage.placement import group_schemas

    attached = set(group_schemas(conn))
    for group in key_groups(registry):
        if group.schema in attached:
            sync_group_tables(conn, registry, group, group.schema)


def sync_group_tables(
    conn: Connection, registry: Registry, group: KeyGroup, schema: str
) -> None:
    """The group's dataset tables as the registry has them: missing tables and columns added."""
    for statement in sync_group_statements(conn, registry, group, schema):
        conn.execute(statement)


def sync_group_statements(
    conn: Connection, registry: Registry, group: KeyGroup, schema: str
) -> list[str]:
    """What ``sync_group_tables`` would run (nothing for an up-to-date file)."""
    tables = {r[0] for r in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type='table'")}
    local_master = registry.master.name in group.kinds
    out: list[str] = []
    for kind in _group_kinds(registry, group):
        if kind.table not in tables:
            out += dataset_table_ddl(kind, schema, pupil_reference=local_master)
            continue
        have = set(_existing_columns(conn, kind.table, schema))
        out += [f"ALTER TABLE {schema}.{kind.table} ADD COLUMN {col.key} {col.sql_type}"
                for col in kind.stored_columns if col.key not in have]
    return out
