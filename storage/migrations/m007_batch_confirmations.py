"""Migration 7 (issue 10): which later imports held a stored record again.

An import stores only rows that are new; a row it finds stored already, identical, stays with
the batch that brought it first. Rolling that first batch back used to delete the row although
a later import, still in force, holds it too (found by QA: four of a later file's five rows gone
without a word). ``batch_confirmations`` records per batch the stored records its file held
identically (and at which file row), so that a rollback hands such a record over to the latest
batch in force that holds it instead of deleting it.
"""

from __future__ import annotations

from storage.connection import Connection

TABLE = """
    CREATE TABLE batch_confirmations (
        batch_id INTEGER NOT NULL REFERENCES import_batches(id),
        kind TEXT NOT NULL,
        record_id INTEGER NOT NULL,
        source_row INTEGER,
        PRIMARY KEY (batch_id, kind, record_id)
    ) WITHOUT ROWID
"""
INDEX = "CREATE INDEX batch_confirmations_record ON batch_confirmations (kind, record_id)"


def migrate(conn: Connection) -> None:
    conn.execute(TABLE)
    conn.execute(INDEX)
