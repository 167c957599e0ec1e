"""Staff accounts (login id, display name, role, status). Secrets live in the key file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection
from storage.keys import normalize_login


@dataclass(frozen=True)
class AccountRow:
    id: int
    login_id: str
    display_name: str
    role: str
    status: str


_COLUMNS = "id, login_id, display_name, role, status"


def _row(raw: tuple[object, ...]) -> AccountRow:
    return AccountRow(int(str(raw[0])), str(raw[1]), str(raw[2]), str(raw[3]), str(raw[4]))


def create(
    conn: Connection, login_id: str, display_name: str, role: str, *, at: datetime
) -> AccountRow:
    now = at.isoformat(timespec="seconds")
    cur = conn.execute(
        "INSERT INTO accounts (login_id, display_name, role, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (normalize_login(login_id), display_name, role, now, now),
    )
    assert cur.lastrowid is not None
    return AccountRow(cur.lastrowid, normalize_login(login_id), display_name, role, "active")


def by_login(conn: Connection, login_id: str) -> AccountRow | None:
    raw = conn.execute(
        f"SELECT {_COLUMNS} FROM accounts WHERE login_id = ?", (normalize_login(login_id),)
    ).fetchone()
    return None if raw is None else _row(raw)


def display_names(conn: Connection) -> dict[str, str]:
    """氏名 by login ID (for showing who did something)."""
    return {str(r[0]): str(r[1]) for r in conn.execute(
        "SELECT login_id, display_name FROM accounts")}


def all_accounts(conn: Connection) -> list[AccountRow]:
    return [_row(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM accounts ORDER BY id")]


def set_status(conn: Connection, account_id: int, status: str, *, at: datetime) -> None:
    conn.execute(
        "UPDATE accounts SET status = ?, updated_at = ? WHERE id = ?",
        (status, at.isoformat(timespec="seconds"), account_id),
    )


def set_role(conn: Connection, account_id: int, role: str, *, at: datetime) -> None:
    conn.execute(
        "UPDATE accounts SET role = ?, updated_at = ? WHERE id = ?",
        (role, at.isoformat(timespec="seconds"), account_id),
    )


def by_id(conn: Connection, account_id: int) -> AccountRow | None:
    raw = conn.execute(f"SELECT {_COLUMNS} FROM accounts WHERE id = ?", (account_id,)).fetchone()
    return None if raw is None else _row(raw)
