"""Palm-vein templates: opaque bytes bound to one account, encrypted with the whole store.

The binding is an HMAC of account id and template under a key derived from the data key, so a
template row moved to another account no longer verifies. Revoked rows are wiped (zero-length
template) rather than kept.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection


@dataclass(frozen=True)
class PalmRow:
    id: int
    account_id: int
    template: bytes
    quality: int | None
    enrolled_at: str

    def __repr__(self) -> str:  # never print template bytes
        return f"PalmRow(id={self.id}, account_id={self.account_id}, quality={self.quality})"


def _binding(key: bytes, account_id: int, template: bytes) -> str:
    return hmac.new(key, f"{account_id}:".encode() + template, hashlib.sha256).hexdigest()


def enroll(
    conn: Connection, key: bytes, account_id: int, template: bytes, quality: int | None,
    enrolled_by: str, *, at: datetime,
) -> int:
    """Store a new template for the account, replacing (wiping) any earlier one."""
    now = at.isoformat(timespec="seconds")
    revoke(conn, account_id, at=at)
    cur = conn.execute(
        "INSERT INTO palm_templates (account_id, template, binding, quality, enrolled_at,"
        " enrolled_by) VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, template, _binding(key, account_id, template), quality, now, enrolled_by),
    )
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def revoke(conn: Connection, account_id: int, *, at: datetime) -> int:
    now = at.isoformat(timespec="seconds")
    cur = conn.execute(
        "UPDATE palm_templates SET template = x'', binding = '', revoked_at = ?"
        " WHERE account_id = ? AND revoked_at IS NULL",
        (now, account_id),
    )
    return int(cur.rowcount)


def active(conn: Connection, key: bytes, account_id: int) -> PalmRow | None:
    """The account's current template if its binding verifies."""
    raw = conn.execute(
        "SELECT id, account_id, template, binding, quality, enrolled_at FROM palm_templates"
        " WHERE account_id = ? AND revoked_at IS NULL ORDER BY id DESC LIMIT 1",
        (account_id,),
    ).fetchone()
    if raw is None:
        return None
    template = bytes(raw[2])
    if not hmac.compare_digest(_binding(key, account_id, template), str(raw[3])):
        return None
    return PalmRow(int(raw[0]), int(raw[1]), template, raw[4], str(raw[5]))


def all_active(conn: Connection, key: bytes) -> list[PalmRow]:
    """Every bound, active template (for the duplicate check at enrollment)."""
    rows = []
    for (account_id,) in conn.execute(
        "SELECT DISTINCT account_id FROM palm_templates WHERE revoked_at IS NULL"
    ).fetchall():
        row = active(conn, key, int(account_id))
        if row is not None:
            rows.append(row)
    return rows


def enrolled_accounts(conn: Connection) -> set[int]:
    return {
        int(a)
        for (a,) in conn.execute(
            "SELECT account_id FROM palm_templates WHERE revoked_at IS NULL"
        ).fetchall()
    }
