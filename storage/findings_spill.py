"""An import's findings beyond what it keeps in memory, in an encrypted scratch file.

A file at the size limit sent back wrong on every row has ~15 million findings; held even
compact they would take the import past its memory goal (issue 10, point 10). The findings
hold values from the file (personal data), so what does not fit in memory goes to a
SQLCipher file, never plain text, never the system's temporary folder:

- beside the store (its folder is the one the office protects), hidden, named by the store
  and a random token only (``.STORE.findings-<32 hex>``), created exclusively (no file or
  link planted under the name is ever opened), owner-only (0600);
- keyed with 32 random bytes that exist only in this process for this one preview: a file
  left by a crash is ciphertext nobody holds the key to, and :func:`sweep` removes it at the
  next import (the importing service sweeps when it starts a preview);
- no journal, and temporary structures in memory (``temp_store``); the ordered copy the
  report reads is made along an index, so SQLite never sorts into a temporary file;
- deleted when the preview ends (:meth:`SpillFile.close`; a finalizer too, should its owner
  forget). While it lives its owner holds an exclusive ``flock`` on it, so a sweep in
  another process or session never takes a file in use (on Windows an open file cannot be
  deleted, which does the same).

Findings go in as rows of integer ids into one table of distinct texts (a reason or a column
said by a million findings is stored once). ``seal`` copies them once, in the report's order
(file-level findings first, then by row, then by the step that found them, then as found),
into a table whose row id is the line's position: a screenful is read by position.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlcipher3

from storage.connection import Connection, key_pragma

# Text columns of a finding, as stored (ids into ``texts``; 0: no text).
TEXT_COLUMNS = ("column_key", "column", "value", "reason", "severity", "code")
_STORED = ("ckey", "ccol", "cval", "creason", "csev", "ccode")
_SUFFIX = ".findings-"
# A leftover is removed only once it has not been written for this long: a spill being
# created is locked within microseconds, but never take one in that instant.
STALE_SECONDS = 60
_CACHE_KIB = 8 * 1024  # SQLite's page cache for the scratch file (memory, not disk)
_IDS_AT_ONCE = 500  # ids per IN (...) query

_SCHEMA = (
    "CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)",
    "CREATE TABLE found (seq INTEGER PRIMARY KEY, row INTEGER, step INTEGER NOT NULL, "
    "ckey INTEGER NOT NULL, ccol INTEGER NOT NULL, cval INTEGER NOT NULL, "
    "creason INTEGER NOT NULL, csev INTEGER NOT NULL, ccode INTEGER NOT NULL)",
    # Kept while inserting (no sort later): the report's order is (row, step, seq), and an
    # index holds the row id after its columns.
    "CREATE INDEX found_order ON found (row, step)",
    "CREATE TABLE lines (pos INTEGER PRIMARY KEY, row INTEGER, "
    "ckey INTEGER NOT NULL, ccol INTEGER NOT NULL, cval INTEGER NOT NULL, "
    "creason INTEGER NOT NULL, csev INTEGER NOT NULL, ccode INTEGER NOT NULL)",
)
_INSERT = ("INSERT INTO found (row, step, ckey, ccol, cval, creason, csev, ccode) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
ORDERED_COPY = ("INSERT INTO lines (row, ckey, ccol, cval, creason, csev, ccode) "
                "SELECT row, ckey, ccol, cval, creason, csev, ccode FROM found "
                "ORDER BY row, step, seq")


def spill_pattern(store: Path) -> re.Pattern[str]:
    """The names of ``store``'s spill files (and nothing else in its folder)."""
    return re.compile(re.escape(f".{store.name}{_SUFFIX}") + r"[0-9a-f]{32}")


class SpillFile:
    """One preview's encrypted scratch file of findings (see the module's doc)."""

    def __init__(self, store: Path) -> None:
        self.path = store.parent / f".{store.name}{_SUFFIX}{secrets.token_hex(16)}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        self._fd = os.open(self.path, flags, 0o600)  # an existing name fails, link or not
        self._lock = threading.Lock()
        conn: Connection | None = None
        try:
            _hold(self._fd)
            key = secrets.token_bytes(32)
            conn = sqlcipher3.connect(str(self.path), isolation_level=None,
                                      check_same_thread=False)
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(key_pragma(key))
            del key
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = MEMORY",
                           f"cache_size = -{_CACHE_KIB:d}"):
                conn.execute(f"PRAGMA {pragma}").fetchall()
            with _batch(conn):
                for statement in _SCHEMA:
                    conn.execute(statement)
        except BaseException:
            _discard(conn, self.path, self._fd)
            raise
        self._conn = conn
        # Deleted when its owner is gone, should it not close it (and at exit).
        self._finalizer = weakref.finalize(self, _discard, conn, self.path, self._fd)

    # -- writing ---------------------------------------------------------------------------

    def text_ids(self, texts: Sequence[str]) -> list[int]:
        """The id of each text, added when new."""
        with self._lock, _batch(self._conn):
            self._conn.executemany("INSERT OR IGNORE INTO texts (text) VALUES (?)",
                                   ((t,) for t in texts))
            ids: dict[str, int] = {}
            for at in range(0, len(texts), _IDS_AT_ONCE):
                part = texts[at:at + _IDS_AT_ONCE]
                marks = ", ".join("?" for _ in part)
                ids.update((t, i) for i, t in self._conn.execute(
                    f"SELECT id, text FROM texts WHERE text IN ({marks})", tuple(part)))
        return [ids[t] for t in texts]

    def add(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Findings as (row or None, step, six text ids)."""
        with self._lock, _batch(self._conn):
            self._conn.executemany(_INSERT, rows)

    def seal(self) -> None:
        """Copy the findings into the report's order, once, along the index."""
        with self._lock, _batch(self._conn):
            self._conn.execute(ORDERED_COPY)
            self._conn.execute("DROP TABLE found")

    # -- reading (after seal) --------------------------------------------------------------

    def lines(self, start: int, stop: int) -> list[tuple[Any, ...]]:
        """Lines ``start:stop`` (positions from 0): (row or None, six text ids)."""
        with self._lock:
            return self._conn.execute(
                "SELECT row, ckey, ccol, cval, creason, csev, ccode FROM lines "
                "WHERE pos > ? AND pos <= ? ORDER BY pos", (start, stop)).fetchall()

    def severities(self, start: int, stop: int) -> list[int]:
        """The severity text id of lines ``start:stop``."""
        with self._lock:
            return [s for (s,) in self._conn.execute(
                "SELECT csev FROM lines WHERE pos > ? AND pos <= ? ORDER BY pos",
                (start, stop))]

    def texts(self, ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with self._lock:
            for at in range(0, len(ids), _IDS_AT_ONCE):
                part = tuple(int(i) for i in ids[at:at + _IDS_AT_ONCE])
                marks = ", ".join("?" for _ in part)
                out.update(self._conn.execute(
                    f"SELECT id, text FROM texts WHERE id IN ({marks})", part).fetchall())
        return out

    def query_plan(self, sql: str) -> str:
        """SQLite's plan for ``sql`` (tests: the ordered copy sorts nothing)."""
        with self._lock:
            return " | ".join(str(r[-1]) for r in self._conn.execute(
                f"EXPLAIN QUERY PLAN {sql}"))

    # -- the end ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Close and delete the file (again: nothing)."""
        with self._lock:
            self._finalizer()


def sweep(store: Path) -> int:
    """Remove ``store``'s spill files that no process holds (left by a crash or a kill);
    how many. Only regular files of this user with a spill's name, untouched for a minute."""
    pattern = spill_pattern(store)
    removed = 0
    try:
        entries = list(os.scandir(store.parent))
    except OSError:
        return 0
    limit = time.time() - STALE_SECONDS
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            if not (stat.S_ISREG(info.st_mode) and mine and info.st_mtime < limit):
                continue
            if _remove_unheld(Path(entry.path)):
                removed += 1
        except OSError:
            continue
    return removed


def _remove_unheld(path: Path) -> bool:
    """Delete ``path`` unless a live spill holds it."""
    if os.name == "nt":  # an open file cannot be deleted there
        try:
            path.unlink()
        except PermissionError:
            return False
        return True
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            _hold(fd)
        except BlockingIOError:
            return False
        path.unlink()
        return True
    finally:
        os.close(fd)


def _hold(fd: int) -> None:
    """Take the exclusive lock that marks a spill in use (POSIX; raises when taken)."""
    if os.name != "nt":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _discard(conn: Connection | None, path: Path, fd: int) -> None:
    """Close the connection and the lock's descriptor (Windows deletes no open file), then
    delete the file (a sweep that took it in between has done the same)."""
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()
    with contextlib.suppress(OSError):
        os.close(fd)
    with contextlib.suppress(OSError):
        path.unlink()


@contextlib.contextmanager
def _batch(conn: Connection) -> Any:
    """One transaction (without a journal: a failure discards the whole file anyway)."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


__all__ = ["ORDERED_COPY", "STALE_SECONDS", "TEXT_COLUMNS", "SpillFile", "spill_pattern",
           "sweep"]
