"""From the service's values to what the widgets draw: grid rows, tiles, chart points.

Pure functions (no widgets), so that the page stays a layout and the rules of what is shown
where can be read in one place. Order is always the service's: schools by code, grades and
classes as enrolled, domains in the item master's usual order — never by a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.formatting import format_month
from ui.school_karte.charts import FunnelLimits, SchoolPoint
from ui.school_karte.grid import GridCell, GridRow
from ui.school_karte.multiples import TileData, TilePoint

if TYPE_CHECKING:
    from toda_desktop.school_karte.models import (
        Cell,
        SchoolInfo,
        SupportCount,
        SurveyInfo,
        SurveyResult,
        ValueAdded,
    )

Level = tuple[int | None, str | None]  # (grade, class name); (None, None): the whole school
SCHOOL_LEVEL: Level = (None, None)
DOMAIN_ORDER = ("学習", "友人関係", "教師関係", "家庭", "生活", "自己肯定感")
MEASURE_NAMES = {"push_support": "3基準の該当", "alert": "見守りアラート",
                 "consultation": "相談"}


def round_label(survey: SurveyInfo, round_no: int) -> str:
    return f"第{round_no}回" if len(survey.rounds) > 1 or round_no > 1 else "年1回"


def level_label(level: Level) -> str:
    grade, class_name = level
    if grade is None:
        return "学校全体"
    if class_name is None:
        return f"{grade}年"
    return f"{grade}年 {class_name}{'組' if class_name.isdigit() else ''}"


def grid_cell(cell: Cell | None) -> GridCell | None:
    if cell is None:
        return None
    interval = cell.interval
    return GridCell(state=cell.tone, value=cell.value, city=cell.city,
                    difference=cell.difference, n=cell.n,
                    low=None if interval is None else interval.low,
                    high=None if interval is None else interval.high)


def domain_key(domain: str) -> tuple[int, str]:
    return (DOMAIN_ORDER.index(domain) if domain in DOMAIN_ORDER else len(DOMAIN_ORDER), domain)


def at_level(results: Iterable[SurveyResult], school: str, survey: str, level: Level
             ) -> list[SurveyResult]:
    grade, class_name = level
    return [r for r in results if r.school_code == school and r.survey_code == survey
            and r.grade == grade and r.class_name == class_name]


def _rows(results: Sequence[SurveyResult]) -> list[tuple[str, str | None, str]]:
    """(domain, item code, label) in display order: each domain, then its items."""
    seen: dict[tuple[str, str | None], str] = {}
    for r in results:
        seen.setdefault((r.domain, r.item_code), r.item_text or r.item_code or r.domain)
    domains = sorted({d for d, _i in seen}, key=domain_key)
    out: list[tuple[str, str | None, str]] = []
    for domain in domains:
        out.append((domain, None, f"{domain}（領域全体）"))
        items = [(i, label) for (d, i), label in seen.items() if d == domain and i is not None]
        out += [(domain, i, label) for i, label in sorted(items)]
    return out


def results_grid(results: Sequence[SurveyResult], survey: SurveyInfo
                 ) -> tuple[list[str], list[GridRow]]:
    """Rows domains and items, columns the survey's rounds (this school year)."""
    by_key = {(r.domain, r.item_code, r.round): r.current for r in results}
    columns = [round_label(survey, n) for n in survey.rounds]
    rows = []
    for domain, item, label in _rows(results):
        cells = tuple(grid_cell(by_key.get((domain, item, n))) for n in survey.rounds)
        rows.append(GridRow(label, cells, level=0 if item is None else 1,
                            tooltip=label if item is None else f"{item}: {label}"))
    return columns, rows


COMPARISONS = ("今年度", "前年度の同じ学年", "同じ児童生徒の前年度")


def comparison_grid(results: Sequence[SurveyResult], round_no: int
                    ) -> tuple[list[str], list[GridRow]]:
    """This year beside the same grade last year and the same pupils last year."""
    chosen = [r for r in results if r.round == round_no]
    by_key = {(r.domain, r.item_code): r for r in chosen}
    rows = []
    for domain, item, label in _rows(chosen):
        r = by_key.get((domain, item))
        cells = (None, None, None) if r is None else (
            grid_cell(r.current), grid_cell(r.same_grade_last_year),
            grid_cell(r.same_pupils_last_year))
        rows.append(GridRow(label, cells, level=0 if item is None else 1))
    return list(COMPARISONS), rows


def domains_of(results: Iterable[SurveyResult], survey: str) -> list[str]:
    return sorted({r.domain for r in results if r.survey_code == survey}, key=domain_key)


def tile_points(results: Iterable[SurveyResult], survey: SurveyInfo, domain: str
                ) -> tuple[TilePoint, ...]:
    """The domain as a whole, one point per round."""
    cells = {r.round: r.current for r in results if r.domain == domain and r.item_code is None}
    points = []
    for n in survey.rounds:
        cell = cells.get(n)
        if cell is None:
            points.append(TilePoint(round_label(survey, n), "none"))
            continue
        interval = cell.interval
        points.append(TilePoint(round_label(survey, n), cell.tone, cell.value,
                                None if interval is None else interval.low,
                                None if interval is None else interval.high, cell.city))
    return tuple(points)


def support_line(support: Iterable[SupportCount], school: str, level: Level) -> str:
    """「3基準の該当 3人　見守りアラート 5件　相談 12件」 for one group (this school year)."""
    grade, class_name = level
    totals: dict[str, int | None] = {}
    for s in support:
        if s.school_code != school or s.grade != grade or s.class_name != class_name:
            continue
        before = totals.get(s.measure, 0)
        totals[s.measure] = None if s.count is None or before is None else before + s.count
    shown = [m for m in MEASURE_NAMES if m in totals]
    if shown and all(totals[m] is None for m in shown):
        return "支援の件数: 少人数の集団を守るため表示しません"
    parts = []
    for measure in shown:
        count = totals[measure]
        unit = "人" if measure == "push_support" else "件"
        text = "少人数のため非表示" if count is None else f"{count:,}{unit}"
        parts.append(f"{MEASURE_NAMES[measure]} {text}")
    return "　".join(parts)


def school_tiles(schools: Sequence[SchoolInfo], results: Sequence[SurveyResult],
                 support: Sequence[SupportCount], survey: SurveyInfo, domain: str
                 ) -> list[TileData]:
    tiles = []
    for school in schools:  # school-code order, as the service gives them
        own = at_level(results, school.code, survey.code, SCHOOL_LEVEL)
        tiles.append(TileData(school.code, school.name, school.code,
                              tile_points(own, survey, domain),
                              support_line(support, school.code, SCHOOL_LEVEL)))
    return tiles


def levels_below(results: Iterable[SurveyResult], support: Iterable[SupportCount],
                 school: str, level: Level) -> list[Level]:
    """The grades of a school (level = the school) or the classes of a grade, in order."""
    grade, _class = level
    found: set[Level] = set()
    for r in results:
        if r.school_code != school:
            continue
        if grade is None and r.grade is not None and r.class_name is None:
            found.add((r.grade, None))
        elif grade is not None and r.grade == grade and r.class_name is not None:
            found.add((grade, r.class_name))
    for s in support:
        if s.school_code != school:
            continue
        if grade is None and s.grade is not None and s.class_name is None:
            found.add((s.grade, None))
        elif grade is not None and s.grade == grade and s.class_name is not None:
            found.add((grade, s.class_name))
    return sorted(found, key=lambda lv: (lv[0] or 0, lv[1] or ""))


def group_tiles(results: Sequence[SurveyResult], support: Sequence[SupportCount], school: str,
                level: Level, survey: SurveyInfo, domain: str) -> list[TileData]:
    tiles = []
    for below in levels_below(results, support, school, level):
        own = at_level(results, school, survey.code, below)
        tiles.append(TileData(
            f"{below[0]}|{below[1] or ''}", level_label(below), "",
            tile_points(own, survey, domain), support_line(support, school, below),
            can_open=True))
    return tiles


def month_text(month: str | None, date_style: DateStyle) -> str:
    if not month:
        return "年度"
    try:
        return format_month(SchoolMonth.parse(month), date_style)
    except ValueError:
        return month


def growth_points(growth: ValueAdded, names: dict[str, str]) -> tuple[
        list[SchoolPoint], list[SchoolPoint], list[SchoolPoint], FunnelLimits]:
    """Funnel (raw estimate against n), caterpillar (shrunken effect with its interval) and
    quadrant (level against the city's, share who improved), all in school-code order."""
    funnel, caterpillar, quadrant = [], [], []
    for e in growth.effects:
        name = names.get(e.school_code, e.school_code)
        funnel.append(SchoolPoint(e.school_code, name, float(e.n), e.raw))
        caterpillar.append(SchoolPoint(e.school_code, name, e.effect, 0.0, e.interval.low,
                                       e.interval.high))
        quadrant.append(SchoolPoint(e.school_code, name, e.mean_level, e.grew_share))
    f = growth.funnel
    limits = FunnelLimits(tuple(p.n for p in f), tuple(p.low95 for p in f),
                          tuple(p.high95 for p in f), tuple(p.low998 for p in f),
                          tuple(p.high998 for p in f))
    return funnel, caterpillar, quadrant, limits
