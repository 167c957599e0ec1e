"""Writing to the tamper-evident audit log from the services.

One object per open store: it derives the audit key once, appends on the database thread and
moves the anchor beside the store after each commit.
"""

from __future__ import annotations

from typing import Any

from storage import audit
from storage.connection import Connection
from storage.store import Store
from toda_desktop.clock import Clock, system_clock


class AuditTrail:
    def __init__(self, store: Store, clock: Clock = system_clock) -> None:
        self._store = store
        self.clock = clock  # entries and what is written with them share this time
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
            beside = audit.read_anchor_file(path)  # once per entry
            new_break = self._check_anchor(conn, actor, beside.head)
            entry = audit.append(
                conn,
                self._key,
                actor=actor,
                action=action,
                outcome=outcome,
                target=target,
                pupil_id=pupil_id,
                detail=detail,
                at=self.clock(),
            )
            audit.write_anchor(path, entry.id, entry.mac, new_break, previous=beside)

        self._store.db.call(append)

    def _check_anchor(
        self, conn: Connection, actor: str, anchor: tuple[int, str] | None
    ) -> dict[str, Any] | None:
        """Whether the store still continues its anchor. If not (rolled back, swapped, or
        the anchor removed), say so in the chain and return the note to keep beside it."""
        problem = audit.anchor_break(conn, anchor)
        if problem is None:
            return None
        anchor_id = None if anchor is None else anchor[0]
        found = audit.append(conn, self._key, actor=actor, action=audit.BREAK_ACTION,
                             outcome="problem",
                             detail={"reason": problem, "anchor_last_id": anchor_id},
                             at=self.clock())
        return {"at": found.at, "reason": problem, "entry_id": found.id,
                "anchor_last_id": anchor_id}

    def acknowledge_breaks(self, actor: str, reason: str) -> None:
        """An administrator has looked into the breaks found so far (e.g. a restore from a
        backup): a signed entry with the reason; the notes beside the store are counted as
        seen. Breaks found later are reported again."""
        path = self._store.path

        def acknowledge(conn: Connection) -> None:
            beside = audit.read_anchor_file(path)
            new_break = self._check_anchor(conn, actor, beside.head)
            notes = len(beside.breaks) + (1 if new_break else 0)
            entry = audit.append(conn, self._key, actor=actor, action=audit.ACK_ACTION,
                                 detail={"reason": reason, "breaks": notes}, at=self.clock())
            audit.write_anchor(path, entry.id, entry.mac, new_break, acknowledge=notes,
                               previous=beside)

        self._store.db.call(acknowledge)

    def verify(self) -> audit.ChainReport:
        beside = audit.read_anchor_file(self._store.path)
        return self._store.db.call(lambda conn: audit.verify(
            conn, self._key, beside.head, beside.breaks, beside.acknowledged))
