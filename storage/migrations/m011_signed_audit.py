"""Migration 11 (issue 12): the audit log signed by each entry's author and chained by hash.

The HMAC chain's key was derived from the one data key, so anyone who could open the store
could recompute it. The table is rebuilt with ``signer`` (whose Ed25519 key signed the
entry), ``prev_hash``/``hash`` (the chain) and ``signature``. Entries already written cannot
be signed by their authors now: they keep their fields, their old MAC (``legacy_mac``) and
get their hash, with no signer; the first signed entry after them covers their hashes, so
from then on they can no longer be changed unnoticed. An index on ``action`` serves the
look-ups of key registrations, anchor settings and breaks. The log holds no pupil data
beyond ids and stays in the store file itself (the system key group).
"""

from __future__ import annotations

from storage.audit import GENESIS_HASH, entry_hash
from storage.connection import Connection


def migrate(conn: Connection) -> None:
    columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(audit_log)")}
    if "signer" in columns:
        return  # (a store whose version number was set back: the table is already signed)
    conn.execute("ALTER TABLE audit_log RENAME TO audit_log_hmac")
    conn.execute("DROP INDEX IF EXISTS audit_log_pupil")
    conn.execute(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            target TEXT,
            pupil_id INTEGER,
            detail TEXT,
            signer TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            signature TEXT,
            legacy_mac TEXT,
            CHECK ((signer IS NULL) = (signature IS NULL))
        )
        """
    )
    prev_hash = GENESIS_HASH
    rows = conn.execute(
        "SELECT id, at, actor, action, outcome, target, pupil_id, detail, mac"
        " FROM audit_log_hmac ORDER BY id").fetchall()
    for row in rows:
        fields = (*row[:8], None)  # no signer
        digest = entry_hash(prev_hash, fields)
        conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, outcome, target, pupil_id, detail,"
            " signer, prev_hash, hash, signature, legacy_mac)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            (*fields, prev_hash, digest, row[8]),
        )
        prev_hash = digest
    conn.execute("DROP TABLE audit_log_hmac")
    conn.execute("CREATE INDEX audit_log_pupil ON audit_log (pupil_id)")
    conn.execute("CREATE INDEX audit_log_action ON audit_log (action)")
