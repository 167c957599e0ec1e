"""The copy of the sign-in counters kept inside the store (migration 10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection


@dataclass(frozen=True)
class FileMark:
    """The outside counter file the store last agreed with."""

    file_id: str
    serial: int


@dataclass(frozen=True)
class SlotCounters:
    slot: str
    failures: dict[str, int]  # consecutive, per factor
    totals: dict[str, int]  # ever counted, per factor (never goes down)
    locked: bool
    locked_by: str | None


def file_mark(conn: Connection) -> FileMark | None:
    row = conn.execute("SELECT file_id, serial FROM signin_file WHERE id = 1").fetchone()
    return None if row is None else FileMark(str(row[0]), int(row[1]))


def put_file_mark(conn: Connection, mark: FileMark, at: datetime) -> None:
    conn.execute(
        "INSERT INTO signin_file (id, file_id, serial, synced_at) VALUES (1, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET file_id = excluded.file_id,"
        " serial = excluded.serial, synced_at = excluded.synced_at",
        (mark.file_id, mark.serial, at.isoformat(timespec="seconds")),
    )


def all_slots(conn: Connection) -> dict[str, SlotCounters]:
    rows = conn.execute(
        "SELECT slot, password_failures, palm_failures, password_total, palm_total, locked,"
        " locked_by FROM signin_counters"
    )
    return {
        str(r[0]): SlotCounters(
            slot=str(r[0]),
            failures={"password": int(r[1]), "palm": int(r[2])},
            totals={"password": int(r[3]), "palm": int(r[4])},
            locked=bool(r[5]),
            locked_by=None if r[6] is None else str(r[6]),
        )
        for r in rows
    }


def put_slot(conn: Connection, counters: SlotCounters, at: datetime) -> None:
    conn.execute(
        "INSERT INTO signin_counters (slot, password_failures, palm_failures, password_total,"
        " palm_total, locked, locked_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(slot) DO UPDATE SET password_failures = excluded.password_failures,"
        " palm_failures = excluded.palm_failures, password_total = excluded.password_total,"
        " palm_total = excluded.palm_total, locked = excluded.locked,"
        " locked_by = excluded.locked_by, updated_at = excluded.updated_at",
        (
            counters.slot,
            counters.failures.get("password", 0),
            counters.failures.get("palm", 0),
            counters.totals.get("password", 0),
            counters.totals.get("palm", 0),
            int(counters.locked),
            counters.locked_by,
            at.isoformat(timespec="seconds"),
        ),
    )


def clear_lock(conn: Connection, slot: str, at: datetime) -> bool:
    """The administrator's unlock: consecutive failures and the lock go; totals stay."""
    cursor = conn.execute(
        "UPDATE signin_counters SET password_failures = 0, palm_failures = 0, locked = 0,"
        " locked_by = NULL, updated_at = ? WHERE slot = ? AND (locked = 1"
        " OR password_failures > 0 OR palm_failures > 0)",
        (at.isoformat(timespec="seconds"), slot),
    )
    return cursor.rowcount > 0
