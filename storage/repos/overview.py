"""Aggregates for the データ概要 page's start of the day (issue 16): counts only, no pupil.

Each function reads one lane's tables; the service decides which a role may see and calls
each on the lane of the kind it needs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from storage.connection import Connection
from storage.repos.batches import BatchRow, _row


@dataclass(frozen=True)
class MonthAbsence:
    """The city's attendance of one school month: the sums over every pupil."""

    school_year: int
    month: int
    school_days: int  # pupil-days to attend
    absence_days: int


def absence_by_month(conn: Connection, years: Collection[int]) -> list[MonthAbsence]:
    """Sums of school and absence days per school year and month (the given years)."""
    if not years:
        return []
    marks = ", ".join("?" for _ in years)
    rows = conn.execute(
        "SELECT school_year, month, coalesce(sum(school_days), 0),"
        " coalesce(sum(absence_days), 0) FROM ds_attendance_monthly"
        f" WHERE school_year IN ({marks}) GROUP BY school_year, month",
        tuple(years),
    ).fetchall()
    return [MonthAbsence(int(y), int(m), int(d), int(a)) for y, m, d, a in rows]


def attendance_years(conn: Connection) -> list[int]:
    rows = conn.execute("SELECT DISTINCT school_year FROM ds_attendance_monthly").fetchall()
    return sorted(int(r[0]) for r in rows)


@dataclass(frozen=True)
class KindImports:
    kind: str
    batches: int
    rows: int


def imports_since(conn: Connection, since: str, until: str, kinds: Collection[str]
                  ) -> list[KindImports]:
    """Committed imports of the given kinds from ``since`` to before ``until`` (ISO times,
    to the second), per kind."""
    if not kinds:
        return []
    marks = ", ".join("?" for _ in kinds)
    rows = conn.execute(
        "SELECT kind, count(*), coalesce(sum(row_count), 0) FROM import_batches"
        f" WHERE status = 'committed' AND imported_at >= ? AND imported_at < ?"
        f" AND kind IN ({marks}) GROUP BY kind ORDER BY kind",
        (since, until, *kinds),
    ).fetchall()
    return [KindImports(str(k), int(b), int(r)) for k, b, r in rows]


def recent_batches(conn: Connection, limit: int) -> list[BatchRow]:
    """The last committed imports, newest first (``imported_by``: the display name)."""
    raw = conn.execute(
        "SELECT b.id, b.kind, b.source_name, b.content_sha256,"
        " coalesce(a.display_name, b.imported_by), b.imported_at, b.row_count, b.status"
        " FROM import_batches b LEFT JOIN accounts a ON a.login_id = b.imported_by"
        " WHERE b.status = 'committed' ORDER BY b.imported_at DESC, b.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [_row(r) for r in raw]


@dataclass(frozen=True)
class ListState:
    """The latest month's watch list (the newest model's): how many are listed, how many of
    them nobody has marked yet."""

    month: str  # YYYY-MM
    listed: int
    unmarked: int


def latest_list(conn: Connection, top: int) -> ListState | None:
    """``top``: pupils per school the lists show (the alerts page's size)."""
    raw = conn.execute("SELECT max(month) FROM risk_alerts").fetchone()
    if raw is None or raw[0] is None:
        return None
    month = str(raw[0])
    model = conn.execute("SELECT max(model_id) FROM risk_alerts WHERE month = ?",
                         (month,)).fetchone()[0]
    # A mark belongs to the pupil's listing in the month, whichever model listed it.
    listed, unmarked = conn.execute(
        "SELECT count(*), coalesce(sum(NOT EXISTS ("
        "   SELECT 1 FROM risk_alert_status st JOIN risk_alerts o ON o.id = st.alert_id"
        "   WHERE o.month = a.month AND o.pupil_id = a.pupil_id)), 0)"
        " FROM risk_alerts a WHERE a.month = ? AND a.model_id = ? AND a.rank <= ?",
        (month, model, top),
    ).fetchone()
    return ListState(month, int(listed), int(unmarked))


def list_changes_since(conn: Connection, since: str, until: str) -> tuple[int, int]:
    """Months whose watch list was made (or made again) from ``since`` to before ``until``,
    and marks given then."""
    lists = conn.execute("SELECT count(DISTINCT month) FROM risk_alerts"
                         " WHERE created_at >= ? AND created_at < ?", (since, until)).fetchone()[0]
    marks = conn.execute("SELECT count(*) FROM risk_alert_status"
                         " WHERE marked_at >= ? AND marked_at < ?", (since, until)).fetchone()[0]
    return int(lists), int(marks)
