"""One database thread that owns the store's connection.

Every read and write of the store runs as a callable on this thread (like Anki's single
collection worker), so SQLite is never touched from two threads and the GUI thread never
waits on disk. ``call`` blocks the caller; ``submit`` returns a future for the UI helper.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from storage.connection import Connection, DatabaseError, open_connection, translate
from storage.errors import StoreError

T = TypeVar("T")
DbTask = Callable[[Connection], T]


class Database:
    """A keyed SQLCipher connection living on its own thread."""

    def __init__(self, path: Path, data_key: bytes) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toda-db")
        self._thread_id: int | None = None
        self._conn: Connection | None = None
        # The key is only needed to open (here) and to derive the audit key (by the caller).
        try:
            self._executor.submit(self._open, data_key).result()
        except BaseException:
            self._executor.shutdown(wait=True)
            raise

    def _open(self, data_key: bytes) -> None:
        self._thread_id = threading.get_ident()
        self._conn = open_connection(self.path, data_key)

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

    def interrupt(self) -> None:
        """Abort the statement running now (used by cancel); safe from any thread."""
        if self._conn is not None:
            self._conn.interrupt()

    def close(self) -> None:
        if self._conn is None and self._thread_id is None:
            return

        def _close() -> None:
            if self._conn is not None:
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
