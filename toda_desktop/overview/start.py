"""The start of the day on データ概要 (issue 16): what changed since the last sign-in, the
city's absence this year against last year, the watch lists still to mark, 名寄せ waiting,
reviews due and the last imports — each part only for the roles whose map covers it.

Every figure is an aggregate (no pupil is named); still, each part asks the gate for what it
reads (the kinds the role sees and whose key it holds, the functions ``alerts`` and
``import``), never reads a group whose key is not held, and the view is audit-logged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from kernel.school_calendar import SchoolMonth
from storage import audit
from storage.connection import Connection
from storage.repos import imports
from storage.repos import overview as repo
from storage.repos.batches import BatchRow
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied
from toda_desktop.overview.day import (
    AbsenceTrend,
    AlertListState,
    DayStart,
    ImportsOfKind,
    MonthRate,
    RecentImport,
    SinceLastSignIn,
)

ATTENDANCE = "attendance_monthly"
# The kinds the watch lists are made of: the rule of ``RiskService.may_see_alerts`` (its
# module brings scikit-learn, which this page must not wait for); a test keeps them equal.
ALERT_KINDS = ("attendance_monthly", "long_absence")
LIST_SIZE = 5  # pupils per school on the 見守りアラート page
RECENT_IMPORTS = 5
HIDDEN = "（非表示）"

ReviewsDue = Callable[[], int | None]  # None: the role has no case domain


def _rate(rows: list[repo.MonthAbsence]) -> float | None:
    days = sum(r.school_days for r in rows)
    return None if days == 0 else sum(r.absence_days for r in rows) / days


def absence_trend(rows: list[repo.MonthAbsence], school_year: int) -> AbsenceTrend:
    """This year's months against the same months of the year before (a month this year has
    no data for yet is left out of both rates, so they compare like with like)."""
    this = {r.month: r for r in rows if r.school_year == school_year}
    last = {r.month: r for r in rows if r.school_year == school_year - 1}
    months: list[MonthRate] = []
    shown_this: list[repo.MonthAbsence] = []
    shown_last: list[repo.MonthAbsence] = []
    for offset in range(12):
        month = SchoolMonth.of(school_year, offset).month
        now, before = this.get(month), last.get(month)
        if now is None and not any(SchoolMonth.of(school_year, o).month in this
                                   for o in range(offset + 1, 12)):
            break  # past the last month with this year's data
        months.append(MonthRate(offset, _rate([now]) if now else None,
                                _rate([before]) if before else None))
        if now is not None:
            shown_this.append(now)
            if before is not None:
                shown_last.append(before)
    return AbsenceTrend(school_year, tuple(months), _rate(shown_this), _rate(shown_last))


class StartOfDayService:
    """``reviews_due``: the hook for 支援の見直し (the cases' reviews due, issue 14): a
    callable returning how many reviews are due for this user, or None while not wired. It
    is asked only when given; a refusal from it (the role has no cases) leaves the card out."""

    def __init__(self, context: ServiceContext, *, reviews_due: ReviewsDue | None = None
                 ) -> None:
        self._ctx = context
        self.reviews_due = reviews_due

    def _sees(self, kind: str) -> bool:
        return self._ctx.gate.sees(kind)

    def may_see_alerts(self) -> bool:
        gate = self._ctx.gate
        return gate.may("alerts") and gate.may("view") and all(gate.sees(k) for k in ALERT_KINDS)

    def start_of_day(self) -> DayStart:
        ctx = self._ctx
        gate = ctx.gate
        visible = {k.name: k.label for k in gate.visible_kinds()}
        alerts_ok = self.may_see_alerts()
        login = ctx.actor.login_id

        def read_main(conn: Connection) -> tuple[datetime | None, list[repo.KindImports],
                                                 tuple[int, int] | None,
                                                 repo.ListState | None,
                                                 list[BatchRow], int | None]:
            # The newest sign-in is this session's: what changed lies between the one before
            # and this one (what the user did since signing in is not news to them).
            signs = audit.query(conn, actor=login, action="sign_in", limit=2)
            last = datetime.fromisoformat(signs[1].at) if len(signs) > 1 else None
            since = last.isoformat(timespec="seconds") if last else None
            until = signs[0].at if signs else ctx.now().isoformat(timespec="seconds")
            imported = ([] if since is None
                        else repo.imports_since(conn, since, until, list(visible)))
            changes = (repo.list_changes_since(conn, since, until)
                       if since is not None and alerts_ok else None)
            state = repo.latest_list(conn, LIST_SIZE) if alerts_ok else None
            recent = repo.recent_batches(conn, RECENT_IMPORTS)
            waiting = imports.count_open(conn) if gate.may("import") else None
            return last, imported, changes, state, recent, waiting

        last, imported, changes, state, recent, waiting = ctx.db.call(read_main)
        since = None if last is None else SinceLastSignIn(
            since=last,
            imports=tuple(ImportsOfKind(i.kind, visible[i.kind], i.batches, i.rows)
                          for i in imported),
            lists_made=None if changes is None else changes[0],
            marks=None if changes is None else changes[1],
        )
        absence = self._absence() if self._sees(ATTENDANCE) else None
        due = self._reviews_due()
        result = DayStart(
            display_name=ctx.actor.display_name,
            last_sign_in=last,
            since=since,
            absence=absence,
            alerts=None if state is None else AlertListState(
                SchoolMonth.parse(state.month), state.listed, state.unmarked),
            may_see_alerts=alerts_ok,
            review_waiting=waiting,
            reviews_due=due,
            recent_imports=tuple(
                RecentImport(datetime.fromisoformat(b.imported_at), visible[b.kind], b.row_count,
                             b.imported_by) if b.kind in visible
                else RecentImport(datetime.fromisoformat(b.imported_at), HIDDEN, None, None)
                for b in recent),
        )
        ctx.log("view_start_of_day",
                detail={"parts": [name for name, shown in (
                    ("前回のサインインからの変化", since is not None),
                    ("欠席の傾向", absence is not None), ("見守りアラート", alerts_ok),
                    ("名寄せ確認", waiting is not None),
                    ("支援の見直し", due is not None)) if shown]})
        return result

    def _absence(self) -> AbsenceTrend | None:
        db = self._ctx.db
        years = db.call(repo.attendance_years, kind=ATTENDANCE)
        if not years:
            return None
        year = years[-1]
        rows = db.call(functools.partial(repo.absence_by_month, years=(year - 1, year)),
                       kind=ATTENDANCE)
        return absence_trend(rows, year)

    def _reviews_due(self) -> int | None:
        if self.reviews_due is None:
            return None
        try:
            due = self.reviews_due()
        except PermissionDenied:
            return None
        return None if due is None else int(due)
