"""Migration 3: saved header mappings, the 名寄せ review queue, remembered decisions and
overwritten rows (what a rollback restores).

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
        CREATE TABLE linkage_decisions (
            fingerprint TEXT PRIMARY KEY,
            pupil_id INTEGER,
            decision TEXT NOT NULL CHECK (decision IN ('link', 'reject')),
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE TABLE review_queue (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES import_batches(id),
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
        );
        CREATE INDEX review_queue_status ON review_queue (status, batch_id);
        CREATE TABLE batch_overwrites (
            batch_id INTEGER NOT NULL REFERENCES import_batches(id),
            kind TEXT NOT NULL,
            record_id INTEGER NOT NULL,
            old_json TEXT NOT NULL
        );
        CREATE INDEX batch_overwrites_batch ON batch_overwrites (batch_id)
        """,
    )
