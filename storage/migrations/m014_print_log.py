"""Migration 14 (issue 14): the print log and the history of each printed sheet.

* ``print_log`` — one row per serial number reserved for a sheet (``TODA-<year>-<number>``):
  what kind of sheet, a subject that names no pupil (「1校・12人」), the purpose, pages,
  how many pupils it names, the SHA-256 digest of its content, who printed it and when, the
  date by which it must be returned or shredded, where it went (a printer or a PDF file) and
  its status. A serial is reserved before the preview and never reused: a preview closed
  without printing is kept as ``voided``.
* ``print_log_events`` — every change of status (printed, returned, shredded, voided) with
  who and when; rows are only ever added, so the history of a sheet is never lost.

Counts and digests only, never a pupil's name or ID: the store file (the system key group)
is opened by every account. Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS print_log (
            id INTEGER PRIMARY KEY,
            serial TEXT NOT NULL UNIQUE,
            year INTEGER NOT NULL,
            number INTEGER NOT NULL CHECK (number > 0),
            kind TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            purpose TEXT NOT NULL DEFAULT '',
            pages INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),
            pupils INTEGER NOT NULL DEFAULT 0 CHECK (pupils >= 0),
            digest TEXT NOT NULL,
            printed_by TEXT NOT NULL,
            reserved_at TEXT NOT NULL,
            printed_at TEXT,
            return_by TEXT NOT NULL,
            destination TEXT NOT NULL DEFAULT ''
                CHECK (destination IN ('', 'printer', 'pdf')),
            status TEXT NOT NULL DEFAULT 'reserved'
                CHECK (status IN ('reserved', 'voided', 'outstanding', 'returned', 'shredded')),
            status_by TEXT,
            status_at TEXT,
            UNIQUE (year, number)
        );
        CREATE INDEX IF NOT EXISTS print_log_by_status ON print_log (status, return_by);
        CREATE INDEX IF NOT EXISTS print_log_by_printer ON print_log (printed_by, id);
        CREATE TABLE IF NOT EXISTS print_log_events (
            id INTEGER PRIMARY KEY,
            serial TEXT NOT NULL REFERENCES print_log (serial),
            status TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS print_log_events_by_serial ON print_log_events (serial, id)
        """,
    )
