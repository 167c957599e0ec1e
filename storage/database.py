"""One writer thread that owns the store's writing connection, and a few read-only readers.

Every write, and every short read, runs as a callable on the writer thread (like Anki's single
collection worker), so writes are never interleaved and the GUI thread never waits on disk.
``call`` blocks the caller; ``submit`` returns a future for the UI helper.

Long reads (an analysis's input tables, an extraction over the whole city) go to ``read``: a
small pool of read-only connections on their own threads. WAL lets them read a consistent
snapshot while the writer commits, so a search or a karte never queues behind a minute of
analysis reading, and an analysis never holds up an import's commit.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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


class Database:
    """A keyed SQLCipher writer connection on its own thread, and a pool of readers.

    ``attach``: the key groups' files the account holds keys for; every connection (writer
    and readers) attaches the same ones, so a query sees the same tables wherever it runs."""

    def __init__(
        self, path: Path, data_key: bytes, *, attach: Sequence[Attachment] = (),
        readers: int = READERS,
    ) -> None:
        self.path = path
        self._attach = tuple(attach)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toda-db")
        self._thread_id: int | None = None
        self._conn: Connection | None = None
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._reader_threads: list[threading.Thread] = []
        self._reading = threading.local()  # a reader thread's own connection
        self._closed = False
        # The keys are only needed to open (here, the writer and each reader on its own
        # thread); they are dropped once every connection is open.
        try:
            self._executor.submit(self._open, data_key).result()
            self._start_readers(data_key, readers)
        except BaseException:
            self.close()
            raise
        finally:
            self._attach = tuple(Attachment(a.schema, a.path) for a in self._attach)

    def _start_readers(self, data_key: bytes, count: int) -> None:
        opened: list[Future[None]] = []
        for number in range(count):
            ready: Future[None] = Future()
            # Daemon: a reader only reads, and a store left open must not keep the process
            # alive at exit; close() still ends and joins them.
            thread = threading.Thread(target=self._serve_reads, args=(data_key, ready),
                                      name=f"toda-db-read-{number}", daemon=True)
            thread.start()
            self._reader_threads.append(thread)
            opened.append(ready)
        # The readers open side by side (each attaches every held group's file).
        for ready in opened:
            ready.result()

    def _open(self, data_key: bytes) -> None:
        self._thread_id = threading.get_ident()
        self._conn = open_connection(self.path, data_key, attach=self._attach)

    def _run(self, task: DbTask[T]) -> T:
        if self._conn is None:
            raise StoreError("データベースは閉じられています。")
        try:
            return task(self._conn)
        except DatabaseError as exc:
            raise translate(exc) from None

    def submit(self, task: DbTask[T]) -> Future[T]:
        return self._executor.submit(self._run, task)

    def call(self, task: DbTask[T]) -> T:
        """Run on the database thread and wait; inline when already on it (no deadlock)."""
        if threading.get_ident() == self._thread_id:
            return self._run(task)
        return self.submit(task).result()

    # -- readers -----------------------------------------------------------------------------

    def _serve_reads(self, data_key: bytes, ready: Future[None]) -> None:
        """A reader thread: open its read-only connection, then run read jobs until told to
        stop (``None``)."""
        try:
            conn = open_connection(self.path, data_key, read_only=True, attach=self._attach)
        except BaseException as exc:
            ready.set_exception(exc)
            return
        del data_key
        self._reading.conn = conn
        ready.set_result(None)
        try:
            while (job := self._jobs.get()) is not None:
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

    def submit_read(self, task: DbTask[T]) -> Future[T]:
        if self._closed:
            raise StoreError("データベースは閉じられています。")
        future: Future[T] = Future()
        self._jobs.put((task, future))
        return future

    def read(self, task: DbTask[T]) -> T:
        """Run a read-only task on a reader connection and wait.

        For long reads; ``task`` must not write (the connection is read-only and the attempt
        fails with ``StoreReadOnly``). It sees the data as committed when it starts, and
        runs beside the writer and the other readers. A read started from within a read
        runs inline on the same connection (no deadlock when every reader is busy).
        """
        conn: Connection | None = getattr(self._reading, "conn", None)
        if conn is not None:
            return _read_on(conn, task)
        return self.submit_read(task).result()

    # -- control -----------------------------------------------------------------------------

    def reattach(self, data_key: bytes, attach: Sequence[Attachment]) -> None:
        """Open every connection again with ``attach`` (a key group's file was rotated): the
        writer on its thread, the readers as new threads once the old ones finished what
        they had taken; reads queued meanwhile wait for the new readers."""
        self._attach = tuple(attach)
        try:
            count = len(self._reader_threads)
            for _ in range(count):
                self._jobs.put(None)
            for thread in self._reader_threads:
                thread.join()
            self._reader_threads.clear()

            def reopen() -> None:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                self._open(data_key)

            if threading.get_ident() == self._thread_id:
                reopen()
            else:
                self._executor.submit(reopen).result()
            self._start_readers(data_key, count)
        finally:
            self._attach = tuple(Attachment(a.schema, a.path) for a in self._attach)

    def interrupt(self) -> None:
        """Abort the statement running now on the writer (used by cancel); safe from any
        thread. Readers are left alone: another screen's read may be running on them."""
        if self._conn is not None:
            self._conn.interrupt()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for _ in self._reader_threads:
            self._jobs.put(None)
        for thread in self._reader_threads:
            thread.join()
        self._reader_threads.clear()
        # Reads queued after the readers stopped are refused, not left waiting.
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[1].set_exception(StoreError("データベースは閉じられています。"))

        def _close() -> None:
            if self._conn is not None:
                with contextlib.suppress(DatabaseError):
                    # Statistics for tables whose size changed much since the last ANALYZE
                    # (SQLite's advice: before closing a long-lived connection).
                    self._conn.execute("PRAGMA optimize")
                with contextlib.suppress(DatabaseError):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.close()
                self._conn = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
        self._thread_id = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_on(conn: Connection, task: DbTask[T]) -> T:
    try:
        return task(conn)
    except DatabaseError as exc:
        raise translate(exc) from None
