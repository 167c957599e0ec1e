"""Purge plans in the store file (migration 12): made, approved, run, or withdrawn.

A plan holds counts per kind and school year, the day it judged, the key groups it covered,
the kinds it could not see and a digest of the due record numbers: no personal data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from storage.connection import Connection
from storage.repos.retention import DueCount

PLANNED, APPROVED, DONE, WITHDRAWN = "planned", "approved", "done", "withdrawn"


@dataclass(frozen=True)
class PlanRecord:
    id: int
    made_at: str
    made_by: str
    as_of: str
    latest_year: int
    groups: tuple[str, ...]
    unseen: tuple[str, ...]  # kinds with an end that the planner could not see
    digest: str
    status: str
    approved_by: str | None
    approved_at: str | None
    run_by: str | None
    run_at: str | None
    rows: tuple[DueCount, ...]
    done: tuple[DueCount, ...]  # what the run removed (empty before it)


def save_plan(conn: Connection, *, made_at: str, made_by: str, as_of: date, latest_year: int,
              groups: Sequence[str], unseen: Sequence[str], digest: str,
              counts: Sequence[DueCount]) -> int:
    """A new plan; earlier plans not yet run are withdrawn (one plan is current)."""
    conn.execute("UPDATE retention_plans SET status = ? WHERE status IN (?, ?)",
                 (WITHDRAWN, PLANNED, APPROVED))
    cur = conn.execute(
        "INSERT INTO retention_plans (made_at, made_by, as_of, latest_year, groups_json,"
        " unseen_json, digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (made_at, made_by, as_of.isoformat(), latest_year, json.dumps(list(groups)),
         json.dumps(list(unseen)), digest))
    plan_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO retention_plan_rows (plan_id, position, kind, school_year, action, records,"
        " pupils) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(plan_id, n, c.kind, c.school_year, c.action, c.records, c.pupils)
         for n, c in enumerate(counts)])
    return plan_id


def get_plan(conn: Connection, plan_id: int) -> PlanRecord | None:
    row = conn.execute(
        "SELECT id, made_at, made_by, as_of, latest_year, groups_json, unseen_json, digest,"
        " status, approved_by, approved_at, run_by, run_at FROM retention_plans WHERE id = ?",
        (plan_id,)).fetchone()
    if row is None:
        return None
    rows = conn.execute(
        "SELECT kind, school_year, action, records, pupils, done FROM retention_plan_rows"
        " WHERE plan_id = ? ORDER BY position", (plan_id,)).fetchall()
    planned = tuple(DueCount(str(k), int(y), str(a), int(r), int(p)) for k, y, a, r, p, _ in rows)
    done = tuple(DueCount(str(k), int(y), str(a), int(d), int(p))
                 for k, y, a, _, p, d in rows if d is not None)
    return PlanRecord(
        id=int(row[0]), made_at=str(row[1]), made_by=str(row[2]), as_of=str(row[3]),
        latest_year=int(row[4]), groups=tuple(json.loads(row[5])),
        unseen=tuple(json.loads(row[6])), digest=str(row[7]), status=str(row[8]),
        approved_by=_opt(row[9]), approved_at=_opt(row[10]), run_by=_opt(row[11]),
        run_at=_opt(row[12]), rows=planned, done=done)


def latest_plan(conn: Connection) -> PlanRecord | None:
    row = conn.execute("SELECT max(id) FROM retention_plans").fetchone()
    return None if row is None or row[0] is None else get_plan(conn, int(row[0]))


def approve(conn: Connection, plan_id: int, by: str, at: str) -> bool:
    """Planned → approved; False when the plan is not (any longer) waiting for approval."""
    cur = conn.execute(
        "UPDATE retention_plans SET status = ?, approved_by = ?, approved_at = ?"
        " WHERE id = ? AND status = ?", (APPROVED, by, at, plan_id, PLANNED))
    return cur.rowcount == 1


def mark_done(conn: Connection, plan_id: int, by: str, at: str,
              counts: Sequence[DueCount]) -> None:
    conn.execute("UPDATE retention_plans SET status = ?, run_by = ?, run_at = ? WHERE id = ?",
                 (DONE, by, at, plan_id))
    conn.executemany(
        "UPDATE retention_plan_rows SET done = ? WHERE plan_id = ? AND kind = ?"
        " AND school_year = ? AND action = ?",
        [(c.records, plan_id, c.kind, c.school_year, c.action) for c in counts])


APPROVE_ACTION = "retention_approve"
DIGEST_SHOWN = 32  # hex digits of the digest the signed approval entry carries


def approved_digest(conn: Connection, plan_id: int, approver: str) -> str | None:
    """The digest the approver's own signed audit entry approved for the plan (None: no
    such entry). The plan row is in the store file, which every account can write with the
    system key; the signed entry is what no one else can forge (the caller has verified the
    chain)."""
    rows = conn.execute(
        "SELECT detail FROM audit_log WHERE action = ? AND target = ? AND actor = ?"
        " AND signer = ? AND outcome = 'ok' ORDER BY id DESC",
        (APPROVE_ACTION, f"retention_plan:{plan_id}", approver, approver)).fetchall()
    for (detail,) in rows:
        try:
            value = json.loads(str(detail)).get("digest")
        except (ValueError, AttributeError):
            continue
        if isinstance(value, str):
            return value
    return None


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "APPROVED", "APPROVE_ACTION", "DIGEST_SHOWN", "DONE", "PLANNED", "WITHDRAWN", "PlanRecord",
    "approve", "approved_digest", "get_plan", "latest_plan", "mark_done", "save_plan",
]
