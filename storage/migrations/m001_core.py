"""Migration 1: the core tables — store metadata, accounts, import batches and the audit log.

Written out in full so that this step never changes (see ``storage.schema``).
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            login_id TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE import_batches (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            source_name TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            imported_by TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            row_count INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'committed'
                CHECK (status IN ('committed', 'rolled_back')),
            note TEXT
        );
        CREATE INDEX import_batches_hash ON import_batches (content_sha256);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            target TEXT,
            pupil_id INTEGER,
            detail TEXT,
            prev_mac TEXT NOT NULL,
            mac TEXT NOT NULL
        );
        CREATE INDEX audit_log_pupil ON audit_log (pupil_id);
        """
    )
