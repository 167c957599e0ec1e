"""Writing to the tamper-evident audit log from the services.

One object per open store: it derives the audit key once, appends on the database thread and
moves the anchor beside the store after each commit.
"""

from __future__ import annotations

from typing import Any

from storage import audit
from storage.connection import Connection
from storage.store import Store


class AuditTrail:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._key = store.derived_key("audit-chain")

    def record(
        self,
        actor: str,
        action: str,
        *,
        outcome: str = "ok",
        target: str | None = None,
        pupil_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        path = self._store.path

        def append(conn: Connection) -> None:
            # On the database thread: entries and the anchor move together, in order, even
            # when several threads record at once.
            entry = audit.append(
                conn,
                self._key,
                actor=actor,
                action=action,
                outcome=outcome,
                target=target,
                pupil_id=pupil_id,
                detail=detail,
            )
            audit.write_anchor(path, entry.id, entry.mac)

        self._store.db.call(append)

    def verify(self) -> audit.ChainReport:
        anchor = audit.read_anchor(self._store.path)
        return self._store.db.call(lambda conn: audit.verify(conn, self._key, anchor))
