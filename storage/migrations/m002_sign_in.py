"""Migration 2: palm templates bound to accounts, and one-off recovery sign-ins.

Written out in full so that this step never changes (see ``storage.schema``).
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE palm_templates (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            template BLOB NOT NULL,
            binding TEXT NOT NULL,
            quality INTEGER,
            enrolled_at TEXT NOT NULL,
            enrolled_by TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX palm_templates_account ON palm_templates (account_id);
        CREATE TABLE recovery_grants (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            granted_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            used_at TEXT
        )
        """,
    )
