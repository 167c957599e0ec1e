"""Writing to the tamper-evident audit log from the services.

One object per unlocked store and signer: it signs each entry with the key of whoever
unlocked the store, appends on the database thread, moves the anchor beside the store after
each commit, and copies the head to the office's outside folder at the first entry of a day
and at sign-out (a folder out of reach is logged and shown, never an error for the user).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import audit, audit_outside, audit_seal
from storage.connection import Connection, transaction
from storage.errors import StoreError
from storage.repos import accounts, meta
from storage.store import Store
from toda_desktop.audit import signer as signers
from toda_desktop.audit.sealing import concerns_pupil
from toda_desktop.clock import Clock, system_clock


@dataclass(frozen=True)
class PendingEntry:
    """An entry appended inside the caller's transaction; :meth:`AuditTrail.settle` moves
    the anchor once that transaction committed."""

    entry: audit.AuditEntry
    new_break: dict[str, Any] | None
    beside: audit.AnchorFile


class AuditTrail:
    def __init__(
        self, store: Store, clock: Clock = system_clock, *, signer: audit.Signer
    ) -> None:
        self._store = store
        self.clock = clock  # entries and what is written with them share this time
        self._signer = signer
        self._registered = False  # the signer's key is known to the chain (checked once)
        self._looked_on = ""  # the day this trail last looked whether a copy is due
        self._seal: audit_seal.SessionSeal | None = None  # this session's content key

    @property
    def signer(self) -> str:
        return self._signer.name

    @property
    def store_path(self) -> Path:
        return self._store.path

    # -- appending --------------------------------------------------------------------------

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
        """Append one signed entry in its own transaction."""
        def append(conn: Connection) -> PendingEntry:
            # On the database thread: entries and the anchor move together, in order, even
            # when several threads record at once.
            pending = self.record_within(conn, actor, action, outcome=outcome, target=target,
                                         pupil_id=pupil_id, detail=detail)
            self._move_anchor(pending)
            return pending

        self._copy_if_due(self._store.db.call(append))

    def record_within(
        self,
        conn: Connection,
        actor: str,
        action: str,
        *,
        outcome: str = "ok",
        target: str | None = None,
        pupil_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> PendingEntry:
        """On the database thread, inside the caller's open transaction when there is one:
        the entry commits with the work it describes or not at all. Call :meth:`settle`
        after the commit."""
        beside = audit.read_anchor_file(self._store.path)  # once per entry
        self._register(conn)
        new_break = self._check_anchor(conn, actor, beside.head)
        entry = audit.append(conn, self._signer, actor=actor, action=action, outcome=outcome,
                             target=target, pupil_id=pupil_id,
                             detail=self._with_keys(action, target, detail), at=self.clock(),
                             seal=self._seal_for(conn, action, target, pupil_id, detail))
        return PendingEntry(entry, new_break, beside)

    def _seal_for(
        self, conn: Connection, action: str, target: str | None, pupil_id: int | None,
        detail: dict[str, Any] | None,
    ) -> audit_seal.SessionSeal | None:
        """This session's content key when the entry concerns a pupil (made and sealed to
        the audit reader at the first such entry); None: written in clear (also while the
        store has no reader key yet: a store made before sealing, until its lead signs in)."""
        if not concerns_pupil(action, target, pupil_id, detail):
            return None
        if self._seal is None:
            reader = audit_seal.reader_public(conn)
            if reader is None:
                return None
            self._seal = audit_seal.SessionSeal(reader, audit.store_id(conn))
        return self._seal

    def settle(self, pending: PendingEntry) -> None:
        """After the transaction holding ``pending`` committed: move the anchor (and copy
        the head outside when due). Another entry may have been appended in between: the
        anchor file is read again and never moved back."""
        path = self._store.path

        def move(conn: Connection) -> None:
            now = audit.read_anchor_file(path)
            entry = pending.entry
            ahead = now.head is not None and now.head[0] >= entry.id
            if ahead and pending.new_break is None:
                return
            head = now.head if ahead and now.head else (entry.id, entry.hash)
            audit.write_anchor(path, head[0], head[1], pending.new_break, previous=now)

        self._store.db.call(move)
        self._copy_if_due(pending)

    def _move_anchor(self, pending: PendingEntry) -> None:
        audit.write_anchor(self._store.path, pending.entry.id, pending.entry.hash,
                           pending.new_break, previous=pending.beside)

    def _with_keys(
        self, action: str, target: str | None, detail: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Entries that register a public key carry it: the store's creation (its first
        account's and the recovery key's), an account's creation and a password reset
        (the account's new key), signed by whoever did it."""
        store = self._store
        if action == audit.STORE_CREATED:
            return {**(detail or {}),
                    audit.KEY_FIELD: signers.public_signing_key(store, self._signer.name).hex(),
                    audit.RECOVERY_KEY_FIELD: signers.recovery_public_key(store).hex()}
        if action in audit.REGISTERING_ACTIONS and target and target.startswith("account:"):
            login = target[len("account:"):]
            return {**(detail or {}),
                    audit.KEY_FIELD: signers.public_signing_key(store, login).hex()}
        return detail

    def _register(self, conn: Connection) -> None:
        """In a log that began before entries were signed, the signer registers its own key
        with its first signed entry (nothing earlier can vouch for it)."""
        if self._registered:
            return
        known = audit.registered_key(conn, self._signer.name)
        if known is None and audit.has_unsigned_entries(conn):
            audit.append(conn, self._signer, actor=self._signer.name,
                         action=audit.SELF_REGISTERED,
                         detail={audit.KEY_FIELD: self._signer.public_key().hex()},
                         at=self.clock())
        # (Inside a caller's transaction the registration may still roll back: look again.)
        self._registered = known is not None or not conn.in_transaction

    def _check_anchor(
        self, conn: Connection, actor: str, anchor: tuple[int, str] | None
    ) -> dict[str, Any] | None:
        """Whether the store still continues its anchor. If not (rolled back, swapped, or
        the anchor removed), say so in the chain and return the note to keep beside it."""
        problem = audit.anchor_break(conn, anchor)
        if problem is None:
            return None
        anchor_id = None if anchor is None else anchor[0]
        found = audit.append(conn, self._signer, actor=self._signer.name,
                             action=audit.BREAK_ACTION, outcome="problem",
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
            self._register(conn)
            new_break = self._check_anchor(conn, actor, beside.head)
            notes = len(beside.breaks) + (1 if new_break else 0)
            entry = audit.append(conn, self._signer, actor=actor, action=audit.ACK_ACTION,
                                 detail={"reason": reason, "breaks": notes}, at=self.clock())
            audit.write_anchor(path, entry.id, entry.hash, new_break, acknowledge=notes,
                               previous=beside)

        self._store.db.call(acknowledge)

    # -- the copy outside the store ---------------------------------------------------------

    def outside_folder(self) -> Path | None:
        """The folder an administrator set for the copies, if any."""
        value = self._store.db.call(lambda c: meta.get(c, audit_outside.ANCHOR_DIR_KEY))
        return Path(value) if value else None

    def set_outside_folder(self, actor: str, folder: Path) -> bool:
        """Record the folder (a signed entry) and copy the head there at once; False when
        the folder could not be written (the setting stays; the failure is logged)."""
        previous = self.outside_folder()

        def save(conn: Connection) -> PendingEntry:
            meta.put(conn, audit_outside.ANCHOR_DIR_KEY, str(folder))
            return self.record_within(
                conn, actor, audit_outside.SET_ACTION,
                detail={"dir": str(folder), "previous": None if previous is None
                        else str(previous)})

        def in_one(conn: Connection) -> PendingEntry:
            with transaction(conn):
                return save(conn)

        self.settle(self._store.db.call(in_one))
        return self.copy_outside()

    def copy_outside(self) -> bool:
        """Copy the chain's current head to the outside folder (at sign-out, daily, and when
        the folder is set). Never raises: a folder out of reach (or a store that cannot be
        written) is logged as a warning entry and noted beside the store for データ概要."""
        try:
            return self._copy()
        except StoreError:
            return False

    def _copy(self) -> bool:
        folder = self.outside_folder()
        if folder is None:
            return True
        store_id = self._store.keyfile.store_id
        head = self._store.db.call(audit.head)
        if head is None:
            return True
        now = self.clock().isoformat(timespec="seconds")
        try:
            audit_outside.write_copy(folder, store_id, head[0], head[1], now)
        except (OSError, ValueError):  # out of reach, refused, or a name it cannot use
            self._note_outside({"day": now[:10], "folder": str(folder), "failed_at": now})
            self.record(self._signer.name, audit_outside.UNREACHABLE_ACTION, outcome="failed",
                        detail={"dir": str(folder)})
            return False
        self._note_outside({"day": now[:10], "folder": str(folder), "copied_id": int(head[0]),
                            "copied_at": now})
        return True

    def _note_outside(self, state: dict[str, Any]) -> None:
        """Keep the copy's state beside the store (the daily rhythm and データ概要's notice)."""
        path = self._store.path

        def note(conn: Connection) -> None:
            beside = audit.read_anchor_file(path)
            if beside.head is None or beside.head[0] < 0:
                return  # a damaged or missing anchor is the next append's to report
            audit.write_anchor(path, beside.head[0], beside.head[1], previous=beside,
                               outside=state)

        self._store.db.call(note)

    def _copy_if_due(self, pending: PendingEntry) -> None:
        """At the first entry of a day (the day as the anchor file knows it), copy outside;
        a failure is noted once that day (a warning entry does not try again)."""
        day = pending.entry.at[:10]
        if pending.entry.action == audit_outside.UNREACHABLE_ACTION or day == self._looked_on:
            return
        self._looked_on = day  # (once a day per trail even when no folder is set)
        if (pending.beside.outside or {}).get("day") != day:
            self.copy_outside()

    # -- checking ---------------------------------------------------------------------------

    def verify(self, extra_folder: Path | None = None) -> audit.ChainReport:
        """The chain, the anchor beside the store, and every outside folder the log names
        (and ``extra_folder``, e.g. one an auditor knows independently)."""
        beside = audit.read_anchor_file(self._store.path)
        store_id = self._store.keyfile.store_id

        current = self.outside_folder()
        must_read = [p for p in dict.fromkeys([current, extra_folder]) if p is not None]
        heads: list[tuple[int, str]] = []
        problem = None
        for place in [*must_read, *(p for p in self._store.db.call(audit_outside.named_folders)
                                    if p not in must_read)]:
            copies = audit_outside.read_copies(place, store_id)
            heads.extend(copies.heads)
            if place in must_read or copies.heads:  # a retired folder may be gone
                problem = problem or copies.problem
        return self._store.db.call(lambda conn: audit.verify(
            conn, beside.head, beside.breaks, beside.acknowledged, heads, problem,
            self._current_keys(conn)))

    def _current_keys(self, conn: Connection) -> dict[str, bytes]:
        """Every account's public key, and the recovery key's, as the key file holds them."""
        store = self._store
        # (a disabled account has no key file entry: its entries verify by its registered key)
        logins = [row.login_id for row in accounts.all_accounts(conn)
                  if store.keyfile.has_account(row.login_id)]
        return {**{login: signers.public_signing_key(store, login) for login in logins},
                audit.RECOVERY_SIGNER: signers.recovery_public_key(store)}

