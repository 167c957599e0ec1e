"""Migration 13 (issue 13): purposes of identifiable exports, and approvals of bulk ones.

* ``export_purposes`` — the list the project lead maintains (an entry is retired, never
  deleted, so that old audit entries and requests keep their words); four defaults;
* ``export_approvals`` — a request to write a bulk identifiable export and the lead's
  decision on it. A request names the export (its catalogue key and a description such as a
  dataset's label), how many pupils, the purpose, who asked and who decided: counts and
  descriptions only, never a pupil. An approval is used once, on the day it was given.

Both live in the store file itself (the system key group). ``IF NOT EXISTS``: a store whose
version number was set back (the older migrations' tests) keeps what it has. Written out in
full so that this step never changes (see ``storage.schema``).
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script

DEFAULT_PURPOSES = (
    "ケース会議の資料",
    "学校への情報提供",
    "関係機関との連携（要保護児童対策地域協議会）",
    "統計・調査（匿名化前の確認）",
)


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS export_purposes (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL UNIQUE,
            position INTEGER NOT NULL,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            changed_at TEXT  -- NULL: a default entry, as the store was made
        );
        CREATE TABLE IF NOT EXISTS export_approvals (
            id INTEGER PRIMARY KEY,
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            export TEXT NOT NULL,
            target TEXT NOT NULL,
            description TEXT NOT NULL,
            pupils INTEGER NOT NULL CHECK (pupils >= 0),
            purpose TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'declined', 'used')),
            decided_by TEXT,
            decided_at TEXT,
            note TEXT NOT NULL DEFAULT '',
            valid_until TEXT,
            used_at TEXT
        );
        CREATE INDEX IF NOT EXISTS export_approvals_status
            ON export_approvals (status, requested_at)
        """,
    )
    for position, label in enumerate(DEFAULT_PURPOSES, start=1):
        conn.execute(
            "INSERT OR IGNORE INTO export_purposes (label, position) VALUES (?, ?)",
            (label, position))
