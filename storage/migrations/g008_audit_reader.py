"""Group step 8: the audit-reader key pair, made with the ``audit_reader`` group's file.

* ``audit_reader`` group file — ``audit_reader_keys``: the private half of each X25519 key
  pair that opens the sealed parts of audit entries (``storage.audit_seal``). The pair is
  made here, when the file is made (with a new store, or when a store made before the
  group gets it at a reader's sign-in: ``Store.add_key_group``), and its public half goes
  to the store file's ``audit_readers`` (migration 15), where every writer finds it.

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import AUDIT_READER_GROUP, KeyGroup
from storage.registry import Registry

READER_KEYS = """
    CREATE TABLE {s}.audit_reader_keys (
        id INTEGER PRIMARY KEY,
        private_key BLOB NOT NULL CHECK (length(private_key) = 32)
    )
"""


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """In the audit reader's file: its key table and a first key pair."""
    from storage.audit_seal import create_reader

    if group.name == AUDIT_READER_GROUP:
        conn.execute(READER_KEYS.format(s=schema))
        create_reader(conn, schema)
