"""Reading a store's files the way an insider would: sqlcipher3 and a raw key, no product code."""

from __future__ import annotations

from pathlib import Path

import sqlcipher3

from storage.connection import key_pragma


def opens_with(path: Path, key: bytes) -> bool:
    """Whether ``key`` decrypts the SQLCipher file at ``path``."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()
