"""One writer thread that owns the store's writing connection, and a few read-only readers.

Every write, and every short read, runs as a callable on the writer thread (like Anki's single
collection worker), so writes are never interleaved and the GUI thread never waits on disk.
``call`` blocks the caller; ``submit`` returns a future for the UI helper.

Long reads (an analysis's input tables, an extraction over the whole city) go to ``read``: a
small pool of read-only connections on their own threads. WAL lets them read a consistent
snapshot while the writer commits, so a search or a karte never queues behind a minute of
analysis reading, and an analysis never holds up an import's commit.

Lanes (issue 12): SQLite attaches at most 10 files to a connection and the store has more key
groups than that, so the writer holds one connection per lane, each to the store file with
its own groups' files attached (``storage.group_files.lane_groups``), and each lane has its
own readers (one for the school lane, whose reads are small). A task
says which lane it needs by naming a dataset kind (``kind=``); without one it runs on the main
lane. Both lanes share the store file, so a lane's task still joins its tables with the
import bookkeeping and writes its audit entry in the same transaction.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from storage.connection import (
    Attachment,
    Connection,
    DatabaseError,
    open_connection,
    translate,
)
from storage.errors import StoreError

T = TypeVar("T")
DbTask = Callable[[Connection], T]
_Job = tuple[DbTask[T], "Future[T]"]

READERS = 2  # long reads at once; more would only share the same two cores and disk
OTHER_LANE_READERS = 1  # the school lane's reads are small (a few thousand rows at most)
MAIN_LANE = 0


@dataclass(frozen=True)
class Lane:
    """One connection layout: the store file with ``attach`` (group files) attached.
    ``kinds``: the dataset kinds whose tables these files hold (what a task names)."""

    attach: tuple[Attachment, ...] = ()
    kinds: frozenset[str] = frozenset()


class CrossLaneTransaction(RuntimeError):
    """A task holding a transaction on one lane asked for another (the second would wait
    for the store file's write lock the first holds): a programming error."""


class Database:
    """Keyed SQLCipher writer connections on their own thread, and a pool of readers.

    ``lanes``: the connections, the main lane first (``attach`` alone: one lane with those
    group files). The writer holds one connection per lane; each lane has its own readers
    (``readers`` for the main lane, ``OTHER_LANE_READERS`` for another), so a query sees
    the same tables on the writer and on its lane's readers."""

    def __init__(
        self, path: Path, data_key: bytes, *, attach: Sequence[Attachment] = (),
        lanes: Sequence[Lane] = (), readers: int = READERS,
    ) -> None:
        self.path = path
        self._lanes = tuple(lanes) or (Lane(tuple(attach)),)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toda-db")
        self._thread_id: int | None = None
        self._conns: list[Connection] = []
        self._jobs: list[queue.SimpleQueue[_Job[Any] | None]] = [
            queue.SimpleQueue() for _ in self._lanes]
        self._reader_threads: list[tuple[int, threading.Thread]] = []  # (lane, thread)
        self._readers = readers
        self._reading = threading.local()  # a reader thread's own connection and lane
        self._closed = False
        # The keys are only needed to open (here, the writer and each reader on its own
        # thread); they are dropped once every connection is open.
        try:
            self._executor.submit(self._open, data_key).result()
            self._start_readers(data_key)
        except BaseException:
            self.close()
            raise
        finally:
            self._drop_keys()

    def _drop_keys(self) -> None:
        self._lanes = tuple(
            Lane(tuple(Attachment(a.schema, a.path) for a in lane.attach), lane.kinds)
            for lane in self._lanes)

    def lane_of(self, kind: str | None) -> int:
        """The lane whose files hold ``kind``'s table; the main lane for None or a kind no
        lane holds (its group's key is not held: the table is simply not there)."""
        if kind is not None:
            for number, lane in enumerate(self._lanes):
                if kind in lane.kinds:
                    return number
        return MAIN_LANE

    def _open_lanes(self, data_key: bytes) -> list[Connection]:
        """The writer's connections, one per lane."""
        conns: list[Connection] = []
        try:
            for lane in self._lanes:
                conns.append(open_connection(self.path, data_key, attach=lane.attach))
        except BaseException:
            for conn in conns:
                conn.close()
            raise
        return conns

    def _start_readers(self, data_key: bytes) -> None:
        opened: list[Future[None]] = []
        for lane in range(len(self._lanes)):
            count = self._readers if lane == MAIN_LANE else min(self._readers,
                                                                  OTHER_LANE_READERS)
            for number in range(count):
                ready: Future[None] = Future()
                # Daemon: a reader only reads, and a store left open must not keep the
                # process alive at exit; close() still ends and joins them.
                thread = threading.Thread(target=self._serve_reads,
                                          args=(lane, data_key, ready),
                                          name=f"toda-db-read-{lane}-{number}", daemon=True)
                thread.start()
                self._reader_threads.append((lane, thread))
                opened.append(ready)
        # The readers open side by side (each attaches its lane's held groups' files).
        for ready in opened:
            ready.result()

    def _open(self, data_key: bytes) -> None:
        self._thread_id = threading.get_ident()
        self._conns = self._open_lanes(data_key)

    def _run(self, task: DbTask[T], lane: int = MAIN_LANE) -> T:
        if not self._conns:
            raise StoreError("データベースは閉じられています。")
        try:
            return task(self._conns[lane])
        except DatabaseError as exc:
            raise translate(exc) from None

    def submit(self, task: DbTask[T], *, kind: str | None = None) -> Future[T]:
        return self._executor.submit(self._run, task, self.lane_of(kind))

    def call(self, task: DbTask[T], *, kind: str | None = None) -> T:
        """Run on the database thread and wait; inline when already on it (no deadlock).
        ``kind``: the dataset kind whose table the task needs (its lane)."""
        lane = self.lane_of(kind)
        if threading.get_ident() == self._thread_id:
            _refuse_cross_lane(self._conns, lane)
            return self._run(task, lane)
        return self._executor.submit(self._run, task, lane).result()

    # -- readers -----------------------------------------------------------------------------

    def _serve_reads(self, lane: int, data_key: bytes, ready: Future[None]) -> None:
        """A reader thread of ``lane``: open its read-only connection, then run the lane's
        read jobs until told to stop (``None``)."""
        try:
            conn = open_connection(self.path, data_key, read_only=True,
                                   attach=self._lanes[lane].attach)
        except BaseException as exc:
            ready.set_exception(exc)
            return
        del data_key
        self._reading.conn = conn
        self._reading.lane = lane
        ready.set_result(None)
        jobs = self._jobs[lane]
        try:
            while (job := jobs.get()) is not None:
                task, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = _read_on(conn, task)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            conn.close()

    def submit_read(self, task: DbTask[T], *, kind: str | None = None) -> Future[T]:
        if self._closed:
            raise StoreError("データベースは閉じられています。")
        future: Future[T] = Future()
        self._jobs[self.lane_of(kind)].put((task, future))
        return future

    def read(self, task: DbTask[T], *, kind: str | None = None) -> T:
        """Run a read-only task on a reader connection and wait.

        For long reads; ``task`` must not write (the connection is read-only and the attempt
        fails with ``StoreReadOnly``). It sees the data as committed when it starts, and
        runs beside the writer and the other readers. A read started from within a read
        runs inline on the same connection (no deadlock when every reader is busy).
        ``kind``: the dataset kind whose table the task needs (its lane).
        """
        conn: Connection | None = getattr(self._reading, "conn", None)
        if conn is not None and self._reading.lane == self.lane_of(kind):
            return _read_on(conn, task)
        return self.submit_read(task, kind=kind).result()

    # -- control -----------------------------------------------------------------------------

    def reattach(self, data_key: bytes, lanes: Sequence[Lane]) -> None:
        """Open every connection again with ``lanes`` (a key group's file was rotated): the
        writer's on its thread, the readers as new threads once the old ones finished what
        they had taken; reads queued meanwhile wait for the new readers."""
        self._lanes = tuple(lanes)
        try:
            self._stop_readers()
            if len(self._jobs) != len(self._lanes):
                self._jobs = [queue.SimpleQueue() for _ in self._lanes]

            def reopen() -> None:
                for conn in self._conns:
                    conn.close()
                self._conns = []
                self._open(data_key)

            if threading.get_ident() == self._thread_id:
                reopen()
            else:
                self._executor.submit(reopen).result()
            self._start_readers(data_key)
        finally:
            self._drop_keys()

    def _stop_readers(self) -> None:
        """End every reader once it finished what it had taken."""
        for lane, _ in self._reader_threads:
            self._jobs[lane].put(None)
        for _, thread in self._reader_threads:
            thread.join()
        self._reader_threads.clear()

    def interrupt(self) -> None:
        """Abort the statement running now on the writer (used by cancel); safe from any
        thread. Readers are left alone: another screen's read may be running on them."""
        for conn in list(self._conns):
            conn.interrupt()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_readers()
        # Reads queued after the readers stopped are refused, not left waiting.
        for jobs in self._jobs:
            while True:
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[1].set_exception(StoreError("データベースは閉じられています。"))

        def _close() -> None:
            for conn in self._conns:
                with contextlib.suppress(DatabaseError):
                    # Statistics for tables whose size changed much since the last ANALYZE
                    # (SQLite's advice: before closing a long-lived connection).
                    conn.execute("PRAGMA optimize")
            for conn in reversed(self._conns):  # the main lane's checkpoint last
                with contextlib.suppress(DatabaseError):
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.close()
            self._conns = []

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
        self._thread_id = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _refuse_cross_lane(conns: Sequence[Connection], lane: int) -> None:
    """A task inline on the writer thread may not use another lane while one is in a
    transaction (both write the store file: the second would wait for the first's lock)."""
    if any(n != lane and conn.in_transaction for n, conn in enumerate(conns)):
        raise CrossLaneTransaction("a task holding a transaction on one lane used another")


def _read_on(conn: Connection, task: DbTask[T]) -> T:
    try:
        return task(conn)
    except DatabaseError as exc:
        raise translate(exc) from None
