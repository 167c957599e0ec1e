"""The key of the search-word digests in the audit log (issue 13), in the master's file.

A search's audit entry keeps a keyed digest of each word, not the words
(``toda_desktop.search.audit_words``). The key is random, made by the first search, and kept
in the master's group file (``audit_word_key``, group step 7): every account that can search
holds it (it searches the same names), the IT administrator (system key only) does not. It is
not derived from the group's key, so a renewal of that key (which copies the file's rows)
keeps earlier digests checkable.
"""

from __future__ import annotations

import secrets

from storage.connection import Connection, DatabaseError, transaction

KEY_BYTES = 32


def word_key(conn: Connection) -> bytes | None:
    """The key (None: the master's file is not attached, or no search was made yet)."""
    try:
        row = conn.execute("SELECT word_key FROM audit_word_key WHERE id = 1").fetchone()
    except DatabaseError as exc:
        if "no such table" in str(exc):
            return None
        raise
    if row is None:
        return None
    key = row[0]
    assert isinstance(key, bytes)
    return key


def ensure_word_key(conn: Connection) -> bytes | None:
    """The key, made now if this is the first search (None: the master's file is not
    attached). Two sessions making it at once keep the first."""
    key = word_key(conn)
    if key is not None:
        return key
    try:
        with transaction(conn):
            conn.execute("INSERT OR IGNORE INTO audit_word_key (id, word_key) VALUES (1, ?)",
                         (secrets.token_bytes(KEY_BYTES),))
    except DatabaseError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return word_key(conn)


__all__ = ["ensure_word_key", "word_key"]
