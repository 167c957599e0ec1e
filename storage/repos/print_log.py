"""The print log (migration 14): serial numbers, printed sheets and their status history.

A serial is ``TODA-<year>-<number>`` with the number counting up within the calendar year;
it is reserved in the same statement that reads the highest one so far, on the database's
one writer, so two sheets never share one. Rows are never deleted; a status change adds an
event row. Counts, descriptions and digests only, never a pupil.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.connection import Connection, transaction

SERIAL_PREFIX = "TODA"
STATUSES = ("reserved", "voided", "outstanding", "returned", "shredded")
# What a sheet may become from each status (a sheet handed back is not printed again).
NEXT_STATUS = {
    "reserved": ("voided", "outstanding"),
    "outstanding": ("returned", "shredded"),
    "returned": ("shredded",),
}


@dataclass(frozen=True)
class PrintRow:
    serial: str
    kind: str
    subject: str
    purpose: str
    pages: int
    pupils: int
    digest: str
    printed_by: str
    reserved_at: datetime
    printed_at: datetime | None
    return_by: date
    destination: str  # "" (not printed), "printer" or "pdf"
    status: str
    status_by: str | None
    status_at: datetime | None


@dataclass(frozen=True)
class PrintEvent:
    serial: str
    status: str
    changed_by: str
    changed_at: datetime


def serial_text(year: int, number: int) -> str:
    return f"{SERIAL_PREFIX}-{year:04d}-{number:06d}"


def _at(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


_COLUMNS = ("serial, kind, subject, purpose, pages, pupils, digest, printed_by, reserved_at,"
            " printed_at, return_by, destination, status, status_by, status_at")


def _row(r: tuple[object, ...]) -> PrintRow:
    reserved = _time(r[8])
    assert reserved is not None
    return PrintRow(
        serial=str(r[0]), kind=str(r[1]), subject=str(r[2]), purpose=str(r[3]),
        pages=int(str(r[4])), pupils=int(str(r[5])), digest=str(r[6]), printed_by=str(r[7]),
        reserved_at=reserved, printed_at=_time(r[9]), return_by=date.fromisoformat(str(r[10])),
        destination=str(r[11]), status=str(r[12]),
        status_by=None if r[13] is None else str(r[13]), status_at=_time(r[14]))


def reserve(conn: Connection, *, at: datetime, kind: str, subject: str, purpose: str,
            pupils: int, digest: str, printed_by: str, return_by: date) -> str:
    """The next serial of ``at``'s year, recorded as reserved; returns it."""
    year = at.year
    with transaction(conn):
        row = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM print_log WHERE year = ?",
                           (year,)).fetchone()
        number = int(row[0])
        serial = serial_text(year, number)
        conn.execute(
            "INSERT INTO print_log (serial, year, number, kind, subject, purpose, pupils, digest,"
            " printed_by, reserved_at, return_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (serial, year, number, kind, subject, purpose, pupils, digest, printed_by, _at(at),
             return_by.isoformat()))
        _event(conn, serial, "reserved", printed_by, at)
    return serial


def _event(conn: Connection, serial: str, status: str, by: str, at: datetime) -> None:
    conn.execute("INSERT INTO print_log_events (serial, status, changed_by, changed_at)"
                 " VALUES (?, ?, ?, ?)", (serial, status, by, _at(at)))


def void_stale(conn: Connection, by: str, at: datetime) -> list[str]:
    """Void this person's serials still reserved (a preview never closed properly)."""
    with transaction(conn):
        stale = [str(r[0]) for r in conn.execute(
            "SELECT serial FROM print_log WHERE printed_by = ? AND status = 'reserved'", (by,))]
        for serial in stale:
            conn.execute("UPDATE print_log SET status = 'voided', status_by = ?, status_at = ?"
                         " WHERE serial = ?", (by, _at(at), serial))
            _event(conn, serial, "voided", by, at)
    return stale


def entry(conn: Connection, serial: str) -> PrintRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM print_log WHERE serial = ?",
                       (serial,)).fetchone()
    return None if row is None else _row(tuple(row))


def change_status(conn: Connection, serial: str, status: str, *, by: str, at: datetime,
                  pages: int | None = None, destination: str | None = None) -> bool:
    """Move a sheet on (``NEXT_STATUS``); False when it is not in a state that allows it.
    Printing (``outstanding``) also records the pages, the destination and the time."""
    with transaction(conn):
        row = conn.execute("SELECT status FROM print_log WHERE serial = ?",
                           (serial,)).fetchone()
        if row is None or status not in NEXT_STATUS.get(str(row[0]), ()):
            return False
        if status == "outstanding":
            conn.execute("UPDATE print_log SET status = ?, pages = ?, destination = ?,"
                         " printed_at = ?, status_by = ?, status_at = ? WHERE serial = ?",
                         (status, pages or 0, destination or "printer", _at(at), by, _at(at),
                          serial))
        else:
            conn.execute("UPDATE print_log SET status = ?, status_by = ?, status_at = ?"
                         " WHERE serial = ?", (status, by, _at(at), serial))
        _event(conn, serial, status, by, at)
    return True


def entries(conn: Connection, *, printed_by: str | None = None, with_voided: bool = False,
            limit: int = 500) -> list[PrintRow]:
    """Sheets newest first (one person's, or everyone's); reserved ones still in preview
    are left out, voided ones unless asked for."""
    where = ["status != 'reserved'"]
    args: list[object] = []
    if not with_voided:
        where.append("status != 'voided'")
    if printed_by is not None:
        where.append("printed_by = ?")
        args.append(printed_by)
    rows = conn.execute(f"SELECT {_COLUMNS} FROM print_log WHERE {' AND '.join(where)}"
                        " ORDER BY year DESC, number DESC LIMIT ?", (*args, limit))
    return [_row(tuple(r)) for r in rows]


def overdue(conn: Connection, today: date) -> int:
    """How many printed sheets are neither returned nor shredded after their date."""
    row = conn.execute("SELECT COUNT(*) FROM print_log WHERE status = 'outstanding'"
                       " AND return_by < ?", (today.isoformat(),)).fetchone()
    return int(row[0])


def events(conn: Connection, serial: str) -> list[PrintEvent]:
    rows = conn.execute("SELECT serial, status, changed_by, changed_at FROM print_log_events"
                        " WHERE serial = ? ORDER BY id", (serial,))
    out = []
    for r in rows:
        at = _time(r[3])
        assert at is not None
        out.append(PrintEvent(str(r[0]), str(r[1]), str(r[2]), at))
    return out


def present_pupils(conn: Connection, table: str, pupil_ids: set[int]) -> set[int]:
    """Which of these pupils the register (``table``: the master kind's) still holds."""
    found: set[int] = set()
    ids = sorted(pupil_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(int(r[0]) for r in conn.execute(
            f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))
    return found
