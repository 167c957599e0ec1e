"""What the データ概要 page's first tab shows: the start of the day, per role (issue 16).

Plain typed values, no sentences: the page writes them in the user's date style. A part the
role may not see is ``None`` (not zero), so the page leaves its card out instead of showing
a count that means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.school_calendar import SchoolMonth


@dataclass(frozen=True)
class ImportsOfKind:
    kind: str
    label: str
    batches: int
    rows: int


@dataclass(frozen=True)
class SinceLastSignIn:
    """What others did since this user last signed in (before this session)."""

    since: datetime
    imports: tuple[ImportsOfKind, ...]
    lists_made: int | None  # months whose watch list was made; None: no alerts for the role
    marks: int | None  # alert marks given; None likewise


@dataclass(frozen=True)
class MonthRate:
    """One school month: the city's absence rate (absence days / school days)."""

    offset: int  # 0 = April
    this_year: float | None
    last_year: float | None


@dataclass(frozen=True)
class AbsenceTrend:
    """The city's absence this school year against the same months of the year before."""

    school_year: int
    months: tuple[MonthRate, ...]  # April up to the last month with this year's data
    this_year: float | None  # the rate over those months
    last_year: float | None  # over the same months a year earlier (None: no data)


@dataclass(frozen=True)
class AlertListState:
    month: SchoolMonth  # the month the latest list is for
    listed: int
    unmarked: int


@dataclass(frozen=True)
class RecentImport:
    at: datetime
    kind_label: str  # 「（非表示）」 for a kind outside the role's map
    rows: int | None  # None: outside the role's map
    imported_by: str | None  # None: outside the role's map


@dataclass(frozen=True)
class DayStart:
    display_name: str
    last_sign_in: datetime | None  # None: the first sign-in
    since: SinceLastSignIn | None
    absence: AbsenceTrend | None  # None: the role does not see attendance, or no data
    alerts: AlertListState | None  # None: the role has no alerts, or no list made yet
    may_see_alerts: bool
    review_waiting: int | None  # 名寄せ items; None: the role does not import
    reviews_due: int | None  # 支援の見直し (cases, issue 14); None: not wired or not the role's
    recent_imports: tuple[RecentImport, ...]
