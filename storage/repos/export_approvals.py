"""The lead's list of export purposes and the approvals of bulk identifiable exports
(migration 13). Rows hold counts and descriptions only, never a pupil."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection
from storage.registry import DatasetKind


@dataclass(frozen=True)
class PurposeRow:
    id: int
    label: str
    active: bool


@dataclass(frozen=True)
class ApprovalRow:
    id: int
    requested_by: str
    requested_at: datetime
    export: str  # the catalogue key of the export (toda_desktop.export_purpose.catalog)
    target: str  # what is exported: a dataset kind's name, "search_results", ...
    description: str
    pupils: int
    purpose: str
    status: str  # pending | approved | declined | used
    decided_by: str | None
    decided_at: datetime | None
    note: str
    valid_until: datetime | None
    used_at: datetime | None


def _at(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _time(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def dataset_pupils(conn: Connection, kind: DatasetKind) -> int:
    """How many different pupils a whole pupil dataset names (the register: its rows)."""
    column = "pupil_id" if kind.links_to_pupil else "id"
    return int(conn.execute(f"SELECT COUNT(DISTINCT {column}) FROM {kind.table}").fetchone()[0])


def purposes(conn: Connection, *, with_retired: bool = False) -> list[PurposeRow]:
    where = "" if with_retired else " WHERE active = 1"
    rows = conn.execute(f"SELECT id, label, active FROM export_purposes{where}"
                        " ORDER BY position, id")
    return [PurposeRow(int(r[0]), str(r[1]), bool(r[2])) for r in rows]


def add_purpose(conn: Connection, label: str, at: datetime) -> int:
    """A new entry at the end, or a retired one with the same words brought back."""
    row = conn.execute("SELECT id FROM export_purposes WHERE label = ?", (label,)).fetchone()
    end = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM export_purposes").fetchone()
    if row is not None:
        conn.execute("UPDATE export_purposes SET active = 1, position = ?, changed_at = ?"
                     " WHERE id = ?", (int(end[0]), _at(at), int(row[0])))
        return int(row[0])
    cur = conn.execute("INSERT INTO export_purposes (label, position, changed_at)"
                       " VALUES (?, ?, ?)", (label, int(end[0]), _at(at)))
    return int(cur.lastrowid or 0)


def retire_purpose(conn: Connection, purpose_id: int, at: datetime) -> str | None:
    """Take an entry off the list (its words stay for old records); its label, or None."""
    row = conn.execute("SELECT label FROM export_purposes WHERE id = ? AND active = 1",
                       (purpose_id,)).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE export_purposes SET active = 0, changed_at = ? WHERE id = ?",
                 (_at(at), purpose_id))
    return str(row[0])


_COLUMNS = ("id, requested_by, requested_at, export, target, description, pupils, purpose,"
            " status, decided_by, decided_at, note, valid_until, used_at")


def _approval(r: tuple[object, ...]) -> ApprovalRow:
    requested_at = _time(r[2])
    assert requested_at is not None
    return ApprovalRow(
        id=int(str(r[0])), requested_by=str(r[1]), requested_at=requested_at,
        export=str(r[3]), target=str(r[4]), description=str(r[5]), pupils=int(str(r[6])),
        purpose=str(r[7]), status=str(r[8]), decided_by=None if r[9] is None else str(r[9]),
        decided_at=_time(r[10]), note=str(r[11]), valid_until=_time(r[12]),
        used_at=_time(r[13]),
    )


def add_request(conn: Connection, *, requested_by: str, at: datetime, export: str,
                target: str, description: str, pupils: int, purpose: str) -> int:
    cur = conn.execute(
        "INSERT INTO export_approvals (requested_by, requested_at, export, target,"
        " description, pupils, purpose) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (requested_by, _at(at), export, target, description, pupils, purpose))
    return int(cur.lastrowid or 0)


def approval(conn: Connection, approval_id: int) -> ApprovalRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM export_approvals WHERE id = ?",
                       (approval_id,)).fetchone()
    return None if row is None else _approval(tuple(row))


def approvals(conn: Connection, *, status: str | None = None, requested_by: str | None = None,
              limit: int = 200) -> list[ApprovalRow]:
    """Newest first, optionally of one status and one requester."""
    where, args = [], []
    if status is not None:
        where.append("status = ?")
        args.append(status)
    if requested_by is not None:
        where.append("requested_by = ?")
        args.append(requested_by)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM export_approvals{clause}"
                        " ORDER BY id DESC LIMIT ?", (*args, limit))
    return [_approval(tuple(r)) for r in rows]


def decide(conn: Connection, approval_id: int, *, approved: bool, by: str, at: datetime,
           note: str, valid_until: datetime | None) -> bool:
    """Approve or decline a pending request; False if it is no longer pending."""
    cur = conn.execute(
        "UPDATE export_approvals SET status = ?, decided_by = ?, decided_at = ?, note = ?,"
        " valid_until = ? WHERE id = ? AND status = 'pending'",
        ("approved" if approved else "declined", by, _at(at), note,
         None if valid_until is None else _at(valid_until), approval_id))
    return cur.rowcount == 1


def use(conn: Connection, approval_id: int, at: datetime) -> bool:
    """Mark an approval used, once: False if it was not (or no longer) approved and valid."""
    cur = conn.execute(
        "UPDATE export_approvals SET status = 'used', used_at = ?"
        " WHERE id = ? AND status = 'approved' AND valid_until >= ?",
        (_at(at), approval_id, _at(at)))
    return cur.rowcount == 1


def give_back(conn: Connection, approval_id: int) -> None:
    """An export whose file could not be written: its approval may be used again."""
    conn.execute("UPDATE export_approvals SET status = 'approved', used_at = NULL"
                 " WHERE id = ? AND status = 'used'", (approval_id,))
