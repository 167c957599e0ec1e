"""One-off, time-limited password-only sign-ins, granted with the recovery key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection


@dataclass(frozen=True)
class GrantRow:
    id: int
    account_id: int
    granted_at: str
    expires_at: str
    reason: str
    used_at: str | None


_COLUMNS = "id, account_id, granted_at, expires_at, reason, used_at"


def _row(raw: tuple[object, ...]) -> GrantRow:
    return GrantRow(
        int(str(raw[0])), int(str(raw[1])), str(raw[2]), str(raw[3]), str(raw[4]),
        None if raw[5] is None else str(raw[5]),
    )


def grant(
    conn: Connection, account_id: int, now: datetime, expires_at: datetime, reason: str
) -> int:
    cur = conn.execute(
        "INSERT INTO recovery_grants (account_id, granted_at, expires_at, reason)"
        " VALUES (?, ?, ?, ?)",
        (account_id, now.isoformat(timespec="seconds"),
         expires_at.isoformat(timespec="seconds"), reason),
    )
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def usable(conn: Connection, account_id: int, now: datetime) -> GrantRow | None:
    raw = conn.execute(
        f"SELECT {_COLUMNS} FROM recovery_grants WHERE account_id = ? AND used_at IS NULL"
        " AND expires_at > ? ORDER BY id DESC LIMIT 1",
        (account_id, now.isoformat(timespec="seconds")),
    ).fetchone()
    return None if raw is None else _row(raw)


def consume(conn: Connection, grant_id: int, now: datetime) -> None:
    conn.execute(
        "UPDATE recovery_grants SET used_at = ? WHERE id = ? AND used_at IS NULL",
        (now.isoformat(timespec="seconds"), grant_id),
    )
