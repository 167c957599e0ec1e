"""The raw copy under the write lock is one point in time even while a checkpoint runs beside
it (issue 13): the copied log is replayed in full, so pages the checkpoint moved into the
database file half-way through the copy do not matter."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from storage import backup
from storage.connection import Connection, open_connection, transaction


def _rows(conn: Connection) -> str:
    digest = hashlib.sha256()
    for row in conn.execute("SELECT id, body FROM t ORDER BY id"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _live_database(path: Path, key: bytes) -> tuple[Connection, str, int]:
    """A WAL database whose file holds old versions of its pages and whose log holds the
    newer ones (several commits, not yet checkpointed); its rows' digest and row count."""
    writer = open_connection(path, key, privileged=True)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    writer.execute("CREATE INDEX t_body ON t (body)")
    with transaction(writer):
        writer.executemany("INSERT INTO t (body) VALUES (randomblob(300))",
                           [() for _ in range(800)])
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for n in range(6):
        with transaction(writer):
            writer.execute("UPDATE t SET body = randomblob(300) WHERE id % 6 = ?", (n,))
            writer.executemany("INSERT INTO t (body) VALUES (randomblob(500))",
                               [() for _ in range(100)])
    count = int(writer.execute("SELECT count(*) FROM t").fetchone()[0])
    return writer, _rows(writer), count


@pytest.mark.parametrize("split", [0.0, 0.37, 1.0])
def test_a_copy_taken_while_a_passive_checkpoint_runs_opens_with_every_committed_row(
    tmp_path: Path, split: float
) -> None:
    """The database file is copied in two parts (split inside a page) with a PASSIVE
    checkpoint of another connection between them, then the log; the copy, settled and
    checked, holds exactly the rows committed when the lock was taken."""
    key = secrets.token_bytes(32)
    live = tmp_path / "live.db"
    writer, expected, count = _live_database(live, key)
    wal = live.with_name(live.name + "-wal")
    staging = tmp_path / "copy"
    staging.mkdir()
    copy = staging / "copy.db"
    other = open_connection(live, key, privileged=True)
    source = backup._Source("system", live, key, 1, copy.name)
    try:
        with backup._all_write_locks([source], None):
            before = live.read_bytes()
            wal_before = wal.read_bytes()
            cut = int(len(before) * split) + (100 if 0 < split < 1 else 0)
            busy, log, moved = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            after = live.read_bytes()
            assert (busy, moved) == (0, log) and log > 0  # the whole log went into the file
            assert after != before  # the file changed while it was being copied
            assert wal.read_bytes() == wal_before  # the log did not (the lock is held)
            copy.write_bytes(before[:cut] + after[cut:])
            copy.with_name(copy.name + "-wal").write_bytes(wal_before)
        backup.settle_copies([(copy, key)], None)
        assert not copy.with_name(copy.name + "-wal").exists()  # one file per database
        assert backup.check_file(copy, key) == []
        assert backup.check_file(copy, key, "integrity_check") == []
        settled = open_connection(copy, key, read_only=True)
        try:
            assert _rows(settled) == expected
            assert settled.execute("SELECT count(*) FROM t").fetchone()[0] == count
        finally:
            settled.close()
    finally:
        other.close()
        writer.close()


# In another process: can it take SQLite's exclusive lock on the file (its SHARED range)?
_TRY_EXCLUSIVE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002)
except OSError:
    sys.exit(1)
sys.exit(0)
"""


@pytest.mark.skipif(os.name == "nt", reason="POSIX fcntl locks")
def test_the_raw_copy_leaves_the_locks_of_this_process_on_the_store_in_place(
    tmp_path: Path
) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it, so
    the copy reads in a child process: after it, another process still cannot take the
    exclusive lock (with which a closing connection would checkpoint and delete the log)."""
    key = secrets.token_bytes(32)
    live = tmp_path / "live.db"
    writer, _, _ = _live_database(live, key)
    source = backup._Source("system", live, key, 1, "copy.db")
    staging = tmp_path / "copy"
    staging.mkdir()

    def exclusive_elsewhere() -> bool:
        return subprocess.run([sys.executable, "-c", _TRY_EXCLUSIVE, str(live)],
                              check=False).returncode == 0

    try:
        with backup._all_write_locks([source], None):
            assert not exclusive_elsewhere()
            backup.raw_copy(backup._copy_pairs([source], staging))
            assert not exclusive_elsewhere()
        assert (staging / "copy.db-wal").stat().st_size > 0
        assert (staging / "copy.db").stat().st_mode & 0o077 == 0
    finally:
        writer.close()
