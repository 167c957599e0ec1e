"""Who did something, as staff know each other: the display name beside the login ID.

Services read models carry ``Staff`` (typed fields) and the screens and the command line
write it with ``staff_label``; audit entries keep the login ID alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection
from storage.repos import accounts


@dataclass(frozen=True)
class Staff:
    login_id: str
    display_name: str | None  # None: no such account in this store (any more)
    active: bool


def staff_book(conn: Connection) -> dict[str, Staff]:
    """Every account by login ID (a handful of rows: read once per view)."""
    return {a.login_id: Staff(a.login_id, a.display_name, a.status == "active")
            for a in accounts.all_accounts(conn)}


def staff_of(book: dict[str, Staff], login_id: str) -> Staff:
    return book.get(login_id) or Staff(login_id, None, False)


def staff_label(staff: Staff) -> str:
    """「デモ 総括（demo-lead）」, as the risk pages name who trained a model; a disabled
    account 「デモ 分析（demo-analyst、無効）」; an account no longer in the store its ID."""
    if staff.display_name is None:
        return f"{staff.login_id}（登録なし）"
    state = "" if staff.active else "、無効"
    return f"{staff.display_name}（{staff.login_id}{state}）"


__all__ = ["Staff", "staff_book", "staff_label", "staff_of"]
