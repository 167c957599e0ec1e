"""The sign-in counters kept inside the store, compared with the outside file after unlock.

The outside file (``toda_desktop.throttle``) is the only place failures can be counted before
the password opened the store, and anyone who can write the store's folder can delete it,
fill it with garbage or put back an older copy. So every save made while a store is open is
copied inside (the ``system`` group every account holds), and at the next unlock the file must
still be the same file (random id), no older (save serial) and must not have forgotten failures
(lifetime totals). If it fails any of these, it is a break: the sign-in is refused, the account
locked until an administrator unlocks it, the break logged with the failures the file lost,
and the file rebuilt from both records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.connection import Connection, transaction
from storage.repos import signin_counters as inside
from storage.store import Store
from toda_desktop.clock import Clock
from toda_desktop.throttle import FACTORS, SlotState, ThrottleBook

BREAK_MESSAGE = (
    "サインインの失敗回数の記録に不整合が見つかったため、サインインできません。"
    "管理者にロックの解除を依頼してください。"
)
BREAK_LOCK = "record_break"


@dataclass(frozen=True)
class RecordBreak:
    """Why the outside file cannot be trusted, what it lost, and the counters to go on with."""

    reason: str  # damaged | missing | replaced | older | reset
    failures_lost: int
    merged: dict[str, SlotState]


def mirror_into(store: Store, clock: Clock) -> Callable[[ThrottleBook], None]:
    """A ``ThrottleBook.mirror``: copy each save of the file into the store."""

    def copy(book: ThrottleBook) -> None:
        if store.closed:
            return
        now = clock()
        mark = inside.FileMark(book.file_id, book.serial)
        counters = [
            inside.SlotCounters(slot, dict(s.failures), dict(s.totals), s.locked, s.locked_by)
            for slot, s in book.slots.items()
        ]

        def write(conn: Connection) -> None:
            with transaction(conn):
                inside.put_file_mark(conn, mark, now)
                for c in counters:
                    inside.put_slot(conn, c, now)

        store.db.call(write)

    return copy


def compare(store: Store, book: ThrottleBook) -> RecordBreak | None:
    """None if the file is (a newer state of) the one the store last agreed with; then the
    copy inside is brought up to the file (only if the file moved on since)."""
    mark, recorded = store.db.call(lambda c: (inside.file_mark(c), inside.all_slots(c)))
    reason: str | None = book.broken
    if reason is None and mark is not None:
        if book.missing:
            reason = "missing"
        elif book.file_id != mark.file_id:
            reason = "replaced"
        elif book.serial < mark.serial:
            reason = "older"
        elif _lost(recorded, book.slots):
            reason = "reset"
    if reason is None:
        if mark != inside.FileMark(book.file_id, book.serial):
            mirror_into(store, book.clock)(book)
        return None
    return RecordBreak(reason, _lost(recorded, book.slots), _merge(recorded, book.slots))


def _lost(recorded: dict[str, inside.SlotCounters], slots: dict[str, SlotState]) -> int:
    """Failures the store knows of that the file no longer shows."""
    lost = 0
    for slot, counters in recorded.items():
        state = slots.get(slot, SlotState())
        lost += sum(max(0, counters.totals[f] - state.totals[f]) for f in FACTORS)
    return lost


def _merge(
    recorded: dict[str, inside.SlotCounters], slots: dict[str, SlotState]
) -> dict[str, SlotState]:
    """The larger count of each kind, and every lock from either record."""
    merged = {slot: SlotState(dict(s.failures), dict(s.totals), s.next_allowed, s.locked,
                              s.locked_by) for slot, s in slots.items()}
    for slot, counters in recorded.items():
        state = merged.setdefault(slot, SlotState())
        for f in FACTORS:
            state.failures[f] = max(state.failures[f], counters.failures[f])
            state.totals[f] = max(state.totals[f], counters.totals[f])
        if counters.locked and not state.locked:
            state.locked, state.locked_by = True, counters.locked_by
    return merged


def settle_break(book: ThrottleBook, found: RecordBreak, slot: str) -> None:
    """Lock the account that met the break and start a fresh file from both records (the
    store follows through ``book.mirror``)."""
    merged = dict(found.merged)
    state = merged.setdefault(slot, SlotState())
    state.locked, state.locked_by = True, BREAK_LOCK
    book.adopt(merged)

