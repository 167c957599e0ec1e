"""The months lists can be made for, in words: one sentence for the service's refusal and the
command line's, so both name the same months the same way.

Kept apart from ``service.py`` so the command line can word a refusal without loading
scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.formatting import format_month

NO_MONTHS = "ありません（先に出欠状況（月次）を取り込んでください）"


def runs(months: Sequence[SchoolMonth]) -> list[tuple[SchoolMonth, SchoolMonth]]:
    """Consecutive months as (first, last) runs, oldest first (a gap in the attendance data
    starts a new run)."""
    out: list[tuple[SchoolMonth, SchoolMonth]] = []
    for month in sorted(set(months)):
        if out and out[-1][1].next() == month:
            out[-1] = (out[-1][0], month)
        else:
            out.append((month, month))
    return out


def listable_text(months: Sequence[SchoolMonth], style: DateStyle = DateStyle.WAREKI) -> str:
    """「令和6年5月〜令和8年4月」 (runs joined by 「、」), or that there are none yet."""
    if not months:
        return NO_MONTHS
    return "、".join(
        format_month(first, style) if first == last
        else f"{format_month(first, style)}〜{format_month(last, style)}"
        for first, last in runs(months))
