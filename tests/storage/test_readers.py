"""Long reads run on read-only reader connections beside the single writer (issue 11)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.connection import Connection, transaction
from storage.errors import OperationDenied, StoreError, StoreReadOnly
from storage.registry import default_registry
from storage.repos import datasets
from storage.store import Store

WAIT = 10.0  # seconds; only reached if the rule under test is broken


def _add_pupils(store: Store, first: int, count: int) -> None:
    kind = default_registry().kind("students")
    rows = [(f"{i:010d}", "高橋\u3000美咲", "タカハシ ミサキ", "2014-05-01", "女")
            for i in range(first, first + count)]
    columns = ["address_code", "name", "name_kana", "birth_date", "sex"]

    def write(conn: Connection) -> None:
        with transaction(conn):
            datasets.insert_rows(conn, kind, columns, rows)

    store.db.call(write)


def _count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM ds_students").fetchone()[0])


def _hold_a_read_open(
    started: threading.Event, release: threading.Event
) -> Callable[[Connection], int]:
    """A long read: a statement stays open (its snapshot too) until ``release`` is set."""

    def task(conn: Connection) -> int:
        cursor = conn.execute("SELECT id FROM ds_students ORDER BY id")
        seen = len(cursor.fetchmany(10))
        started.set()
        assert release.wait(WAIT), "the test never released the long read"
        return seen + len(cursor.fetchall())

    return task


def test_a_long_read_on_a_reader_does_not_block_a_short_read_on_another(
    test_store: Store,
) -> None:
    _add_pupils(test_store, 0, 500)
    started, release = threading.Event(), threading.Event()
    long_read = test_store.db.submit_read(_hold_a_read_open(started, release))
    try:
        assert started.wait(WAIT)
        short = test_store.db.submit_read(_count)
        # Finishes while the long read still holds its reader.
        assert short.result(timeout=WAIT) == 500
        assert not long_read.done()
    finally:
        release.set()
    assert long_read.result(timeout=WAIT) == 500


def test_writes_and_short_calls_go_on_while_a_long_read_runs(test_store: Store) -> None:
    _add_pupils(test_store, 0, 200)
    started, release = threading.Event(), threading.Event()
    long_read = test_store.db.submit_read(_hold_a_read_open(started, release))
    try:
        assert started.wait(WAIT)
        writer = threading.Thread(target=_add_pupils, args=(test_store, 200, 100))
        writer.start()
        writer.join(WAIT)
        assert not writer.is_alive()
        assert test_store.db.call(_count) == 300
        # A new read sees the commit; the long read keeps the snapshot it started with.
        assert test_store.db.read(_count) == 300
    finally:
        release.set()
    assert long_read.result(timeout=WAIT) == 200


def test_a_reader_cannot_write(test_store: Store) -> None:
    with pytest.raises(StoreReadOnly):
        test_store.db.read(lambda c: c.execute(
            "INSERT INTO meta (key, value) VALUES ('x', 'y')"))
    assert test_store.db.call(
        lambda c: c.execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchone()[0]) == 0


@pytest.mark.parametrize("statement", [
    "ATTACH DATABASE 'plain.db' AS plain KEY ''",
    "SELECT sqlcipher_export('plain')",
    "PRAGMA rekey = 'other'",
    "PRAGMA cipher_plaintext_header_size = 32",
])
def test_a_reader_has_the_same_authorizer_as_the_writer(
    test_store: Store, statement: str, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    with pytest.raises(OperationDenied):
        test_store.db.read(lambda c: c.execute(statement).fetchall())
    assert not (tmp_path / "plain.db").exists()


def test_a_read_inside_a_read_runs_on_the_same_reader(test_store: Store) -> None:
    """No deadlock when every reader is busy and a read asks for another read."""
    db = test_store.db

    def outer(conn: Connection) -> tuple[int, bool]:
        inner: list[Connection] = []
        count = db.read(lambda c: inner.append(c) or _count(c))
        return count, inner[0] is conn

    results = [db.submit_read(outer) for _ in range(4)]
    assert [r.result(timeout=WAIT) for r in results] == [(0, True)] * 4


def test_reads_after_close_are_refused_plainly(test_store: Store) -> None:
    test_store.close()
    with pytest.raises(StoreError):
        test_store.db.read(_count)
