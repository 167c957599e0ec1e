"""The school karte's plain tables: correlations (r, n, 95% interval and how to read it),
basic information over the years, and the push-support counts by group and month.

Tables here are never sortable: rows stay in the service's order (school code, grade,
class, survey, round, domain), so that no column can be clicked into a ranking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_school_year
from ui import style
from ui.pupil_tables import Column, RecordsModel
from ui.school_karte.adapt import MEASURE_NAMES, Level, level_label, month_text
from ui.table_model import make_view

if TYPE_CHECKING:
    from toda_desktop.school_karte.models import (
        BasicInfo,
        CorrelationResult,
        SupportCount,
        SurveyInfo,
    )

OUTCOMES = {"growth": "学力レベルの伸び", "absence": "欠席率"}


def reading(r: float | None, low: float | None, high: float | None) -> str:
    """How to read a correlation, in a few words (the tab's note says it is no cause)."""
    if r is None:
        return "表示しません（10人未満など）"
    if low is None or high is None:
        return "区間を計算できません"
    if low <= 0.0 <= high:
        return "不確か（区間が0をまたぐ）"
    strength = "弱い" if abs(r) < 0.3 else "中程度の" if abs(r) < 0.5 else "強い"
    return f"{strength}{'正' if r > 0 else '負'}の関連"


@dataclass(frozen=True)
class CorrelationRow:
    survey: str
    round_text: str
    domain: str
    outcome: str
    level: str
    r: float | None
    n: int | None
    low: float | None
    high: float | None


def correlation_rows(results: Iterable[CorrelationResult], surveys: Sequence[SurveyInfo],
                     school_name: str | None) -> list[CorrelationRow]:
    names = {s.code: s for s in surveys}
    rows = []
    for c in results:
        survey = names.get(c.survey_code)
        if c.level == "school":
            level = "学校単位（各校の値どうし）"
        elif c.school_code is None:
            level = "市の児童生徒"
        else:
            level = f"{school_name or c.school_code}の児童生徒"
        interval = c.correlation.interval
        rows.append(CorrelationRow(
            survey.name if survey else c.survey_code,
            f"第{c.round}回" if c.round else "", c.domain, OUTCOMES.get(c.outcome, c.outcome),
            level, c.correlation.r, c.correlation.n,
            None if interval is None else interval.low,
            None if interval is None else interval.high))
    return rows


def _r(row: CorrelationRow) -> str:
    if row.r is None:
        return "―"
    if row.low is None or row.high is None:
        return f"{row.r:+.2f}"
    return f"{row.r:+.2f}（{row.low:+.2f}〜{row.high:+.2f}）"


CORRELATION_COLUMNS: list[Column[CorrelationRow]] = [
    Column("調査", lambda r: r.survey),
    Column("回", lambda r: r.round_text),
    Column("領域", lambda r: r.domain),
    Column("比べる指標", lambda r: r.outcome),
    Column("単位", lambda r: r.level),
    Column("n", lambda r: "―" if r.n is None else format_count(r.n), right=True),
    Column("相関係数（95%区間）", _r, right=True),
    Column("読み方", lambda r: reading(r.r, r.low, r.high),
           color=lambda r: "#4b5563" if r.r is None or r.low is None or r.high is None
           or r.low <= 0.0 <= r.high else None),
]


@dataclass(frozen=True)
class BasicRow:
    year: str
    info: BasicInfo


def _num(value: int | None) -> str:
    return "―" if value is None else format_count(value)


def _rate(value: float | None) -> str:
    return "―" if value is None else f"{value:.1f}%"


BASIC_COLUMNS: list[Column[BasicRow]] = [
    Column("年度", lambda r: r.year),
    Column("児童生徒数", lambda r: _num(r.info.pupils), right=True),
    Column("学級数", lambda r: _num(r.info.classes), right=True),
    Column("教職員数", lambda r: _num(r.info.staff), right=True),
    Column("就学援助率", lambda r: _rate(r.info.welfare_rate), right=True),
    Column("特別支援学級在籍率", lambda r: _rate(r.info.special_needs_rate), right=True),
    Column("日本語指導率", lambda r: _rate(r.info.japanese_support_rate), right=True),
]


def basic_rows(infos: Iterable[BasicInfo], date_style: DateStyle) -> list[BasicRow]:
    return [BasicRow(format_school_year(i.school_year, date_style), i)
            for i in sorted(infos, key=lambda i: i.school_year)]


@dataclass(frozen=True)
class SupportRow:
    group: str
    measure: str
    counts: tuple[str, ...]  # the year's total, then one per month


def support_table(support: Iterable[SupportCount], groups: Sequence[tuple[str, Level]],
                  date_style: DateStyle, names: dict[str, str] | None = None
                  ) -> tuple[list[str], list[SupportRow]]:
    """Rows: each group (school code and level, in the order given) and measure (with the
    alert's mark or the consultation's type); columns: the year, then the months with counts.
    ``names``: prefix each group with its school's name (the city's table)."""
    wanted = {g: i for i, g in enumerate(groups)}
    cells: dict[tuple[tuple[str, Level], str, str], dict[str | None, int | None]] = {}
    months: set[str] = set()
    for s in support:
        group = (s.school_code, (s.grade, s.class_name))
        if group not in wanted:
            continue
        if s.month:
            months.add(s.month)
        by_month = cells.setdefault((group, s.measure, s.status), {})
        for key in (None, s.month) if s.month else (None,):
            before = by_month.get(key, 0)
            by_month[key] = None if s.count is None or before is None else before + s.count
    order = list(MEASURE_NAMES)
    month_list = sorted(months)
    rows = []
    for (group, measure, status), by_month in sorted(
            cells.items(), key=lambda kv: (wanted[kv[0][0]], order.index(kv[0][1])
                                           if kv[0][1] in order else 9, kv[0][2])):
        name = MEASURE_NAMES.get(measure, measure)
        if measure == "alert":
            name += f"（{status or '未確認'}）"
        elif measure == "consultation" and status:
            name += f"（{status}）"
        texts = [_count(by_month, None, measure)]
        texts += [_count(by_month, m, measure) for m in month_list]
        label = level_label(group[1])
        if names is not None:
            school = names.get(group[0], group[0])
            label = school if group[1] == (None, None) else f"{school} {label}"
        rows.append(SupportRow(label, name, tuple(texts)))
    headers = ["年度計", *(month_text(m, date_style) for m in month_list)]
    return headers, rows


def _count(by_month: dict[str | None, int | None], month: str | None, measure: str) -> str:
    if month not in by_month:
        return ""
    value = by_month[month]
    if value is None:
        return "10人未満"
    return f"{value:,}{'人' if measure == 'push_support' else '件'}"


def support_columns(headers: Sequence[str]) -> list[Column[SupportRow]]:
    columns: list[Column[SupportRow]] = [Column("集団", lambda r: r.group),
                                         Column("内容", lambda r: r.measure)]
    for i, header in enumerate(headers):
        columns.append(Column(header, _nth(i), right=True))
    return columns


def _nth(i: int) -> Callable[[SupportRow], str]:
    return lambda row: row.counts[i]


def plain_table(model: RecordsModel[Any], name: str, widths: Sequence[int] = (),
                parent: QWidget | None = None) -> QTableView:
    """A read-only, unsortable table (rows keep the service's order)."""
    view = make_view(model, name, parent, widths=widths, row_height=26)
    view.setSortingEnabled(False)
    view.horizontalHeader().setSectionsClickable(False)
    return view


def table_tab(caption: str, model: RecordsModel[Any], name: str, widths: Sequence[int] = ()
              ) -> tuple[QWidget, QTableView]:
    """A tab that says how to read its table, then the table (rows in the service's order)."""
    tab = QWidget()
    layout = QVBoxLayout(tab)
    layout.setContentsMargins(4, 8, 4, 4)
    label = QLabel(caption)
    label.setWordWrap(True)
    label.setStyleSheet(style.MUTED)
    layout.addWidget(label)
    view = plain_table(model, name, widths)
    layout.addWidget(view, 1)
    return tab, view
