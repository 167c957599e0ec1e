"""The karte one-pager for a case meeting (ケース会議用のカルテ): the sections the user chose,
built from what the karte service already gave the role (pure: no Qt, no store).

Sections follow the karte: 基本情報, 出欠（月別: a chart and a table of the latest school
year), 保健室利用, 学力, 調査, and the record lists the role may see (相談, いじめ等…). A
section the role's karte does not have is simply not offered (``available_sections``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    BLANK,
    enrolment_text,
    format_date,
    format_phrase,
    format_school_year,
    format_value,
)
from toda_desktop.karte.service import Karte, KarteChart, KarteRecords
from toda_desktop.printing.document import (
    Block,
    DocumentKind,
    Fields,
    Figure,
    Heading,
    Paragraph,
    PrintDocument,
    Table,
)
from toda_desktop.printing.values import bar_chart_png, number


class KarteSection(StrEnum):
    BASICS = "basics"
    ATTENDANCE = "attendance"
    HEALTH_ROOM = "health_room"
    ACADEMIC = "academic"
    SURVEY = "survey"
    RECORDS = "records"


SECTION_LABELS = {
    KarteSection.BASICS: "基本情報",
    KarteSection.ATTENDANCE: "出欠（月別）",
    KarteSection.HEALTH_ROOM: "保健室利用（月別）",
    KarteSection.ACADEMIC: "学力（県学調）",
    KarteSection.SURVEY: "調査（肯定的回答の割合）",
    KarteSection.RECORDS: "記録（相談・いじめ等、閲覧できるもの）",
}
TITLE = "児童生徒カルテ（ケース会議用）"
MAX_RECORD_ROWS = 40  # per record list: the latest ones (a meeting sheet, not an archive)


def available_sections(karte: Karte) -> list[KarteSection]:
    keys = {c.key for c in karte.charts}
    out = [KarteSection.BASICS]
    if "attendance" in keys:
        out.append(KarteSection.ATTENDANCE)
    if "health_room" in keys:
        out.append(KarteSection.HEALTH_ROOM)
    if "academic" in keys:
        out.append(KarteSection.ACADEMIC)
    if any(k.startswith("survey:") for k in keys):
        out.append(KarteSection.SURVEY)
    if karte.record_kinds:
        out.append(KarteSection.RECORDS)
    return out


def _latest_year(chart: KarteChart) -> int | None:
    """The latest school year of the chart that has any value."""
    for i in reversed(range(len(chart.year_starts))):
        start = chart.year_starts[i]
        end = chart.year_starts[i + 1] if i + 1 < len(chart.year_starts) else len(chart.x)
        if any(v is not None for s in chart.series for v in s.values[start:end]):
            return chart.years[i]
    return None


def _year_span(chart: KarteChart, year: int) -> range:
    i = chart.years.index(year)
    start = chart.year_starts[i]
    end = chart.year_starts[i + 1] if i + 1 < len(chart.year_starts) else len(chart.x)
    return range(start, end)


def _chart(karte: Karte, key: str) -> KarteChart | None:
    return next((c for c in karte.charts if c.key == key), None)


def _has_values(chart: KarteChart) -> bool:
    """Whether any point was recorded (0 counts: a survey can be 0% positive); a year with no
    values prints 「記録はありません」, not an empty table."""
    return any(v is not None for s in chart.series for v in s.values)


def _basics(karte: Karte, style: DateStyle) -> list[Block]:
    h = karte.header
    birth = BLANK
    if h.birth_date is not None:
        day = karte.opened_at.date()
        age = day.year - h.birth_date.year - (
            (day.month, day.day) < (h.birth_date.month, h.birth_date.day))
        birth = f"{format_date(h.birth_date, style)}（{age}歳）"
    place = enrolment_text(h.school_name, h.grade, h.class_name, h.seat_number, h.school_year,
                           style)
    rows = [("氏名", h.name), ("ふりがな", h.name_kana or BLANK), ("生年月日", birth),
            ("性別", h.sex or BLANK), ("在籍", place),
            ("データの時点", f"{format_date(h.as_of, style)}時点" if h.as_of else "データなし")]
    rows += [(i.label, i.value) for i in h.identifiers]
    return [Heading(SECTION_LABELS[KarteSection.BASICS]), Fields(tuple(rows), columns=2)]


def _month_labels(chart: KarteChart, span: range, style: DateStyle) -> list[str]:
    return [format_phrase(chart.x_labels[i], style) for i in span]


def _attendance(karte: Karte, style: DateStyle) -> list[Block]:
    chart = _chart(karte, "attendance")
    blocks: list[Block] = [Heading(SECTION_LABELS[KarteSection.ATTENDANCE])]
    year = None if chart is None else _latest_year(chart)
    if chart is None or year is None:
        return [*blocks, Paragraph("出欠の記録はありません。")]
    span = _year_span(chart, year)
    series = {s.key: s for s in chart.series}
    months = _month_labels(chart, span, style)
    stacks = [(s.label, [s.values[i] or 0.0 for i in span])
              for s in chart.series if s.style == "stack"]
    blocks.append(Figure(bar_chart_png(months, stacks, "欠席日数（日）"),
                         caption=f"{format_school_year(year, style)} 月別の欠席日数（理由別）",
                         width_share=0.92))
    lines: dict[str, list[float | None]] = {"欠席日数": [], "うち病気": [], "遅刻": [],
                                            "早退": []}
    for i in span:
        absent = [series[k].values[i] for k in ("sick_days", "accident_days",
                                                "suspension_days", "other_absence")]
        known = not all(v is None for v in absent)
        lines["欠席日数"].append(sum(v or 0 for v in absent) if known else None)
        lines["うち病気"].append(series["sick_days"].values[i])
        lines["遅刻"].append(series["late_count"].values[i])
        lines["早退"].append(series["early_leave_count"].values[i])
    blocks.append(_month_table(months, lines, f"{format_school_year(year, style)}の出欠（日・回）"))
    return blocks


def _month_table(months: list[str], lines: Mapping[str, list[float | None]],
                 caption: str) -> Table:
    """Months across, as school forms lay them out (a year fits on one line), and a total."""
    rows = tuple((label, *(number(v) for v in values),
                  number(sum(v for v in values if v is not None)))
                 for label, values in lines.items())
    return Table(("", *months, "計"), rows, caption=caption,
                 widths=(1.7, *([1.0] * len(months)), 1.2))


def _health_room(karte: Karte, style: DateStyle) -> list[Block]:
    chart = _chart(karte, "health_room")
    blocks: list[Block] = [Heading(SECTION_LABELS[KarteSection.HEALTH_ROOM])]
    year = None if chart is None else _latest_year(chart)
    if chart is None or year is None or not chart.has_data:
        return [*blocks, Paragraph("保健室利用の記録はありません。")]
    span = _year_span(chart, year)
    months = _month_labels(chart, span, style)
    lines: dict[str, list[float | None]] = {
        s.label: [s.values[i] or 0.0 for i in span] for s in chart.series}
    lines["計"] = [sum(s.values[i] or 0.0 for s in chart.series) for i in span]
    return [*blocks, _month_table(months, lines,
                                  f"{format_school_year(year, style)}の保健室利用（回）")]


def _academic(karte: Karte, style: DateStyle) -> list[Block]:
    chart = _chart(karte, "academic")
    blocks: list[Block] = [Heading(SECTION_LABELS[KarteSection.ACADEMIC])]
    if chart is None or not _has_values(chart):
        return [*blocks, Paragraph("学力の記録はありません。")]
    rows = tuple((format_phrase(chart.x_labels[i], style),
                  *(number(s.values[i]) for s in chart.series)) for i in range(len(chart.x)))
    return [*blocks, Table(("年度", *(s.label for s in chart.series)), rows,
                           caption="県学調 学力レベル（1〜12）")]


def _surveys(karte: Karte, style: DateStyle) -> list[Block]:
    charts = [c for c in karte.charts if c.key.startswith("survey:") and _has_values(c)]
    blocks: list[Block] = [Heading(SECTION_LABELS[KarteSection.SURVEY])]
    if not charts:
        return [*blocks, Paragraph("調査の記録はありません。")]
    for chart in charts:
        rows = tuple((format_phrase(chart.x_labels[i], style),
                      *(number(s.values[i], "%") for s in chart.series))
                     for i in range(len(chart.x)))
        blocks.append(Table(("回", *(s.label for s in chart.series)), rows,
                            caption=chart.name, widths=(2.2, *([1.0] * len(chart.series)))))
    return blocks


def _records(karte: Karte, records: Mapping[str, KarteRecords],
             style: DateStyle) -> list[Block]:
    blocks: list[Block] = [Heading("記録")]
    shown = [records[k] for k in karte.record_kinds if k in records]
    if not shown:
        return [*blocks, Paragraph("閲覧できる記録はありません。")]
    for rec in shown:
        rows = rec.rows[-MAX_RECORD_ROWS:]
        keep = [n for n, key in enumerate(rec.keys) if key not in ("school_code",)]
        table_rows = tuple(tuple(format_value(row[n], rec.types[n], style) for n in keep)
                           for row in rows)
        more = len(rec.rows) - len(rows)
        caption = f"{rec.label}（{len(rec.rows)}件" + (f"、新しい{len(rows)}件を掲載）" if more
                                                        else "）")
        blocks.append(Table(tuple(rec.headers[n] for n in keep), table_rows, caption=caption))
    return blocks


def karte_sheet(karte: Karte, sections: Collection[KarteSection], date_style: DateStyle,
                records: Mapping[str, KarteRecords] | None = None) -> PrintDocument:
    """The one-pager with the chosen sections, in the karte's order. ``records``: the record
    lists read for the RECORDS section (by kind), each read through the karte service."""
    chosen = [s for s in available_sections(karte) if s in set(sections)]
    blocks: list[Block] = []
    for section in chosen:
        if section is KarteSection.BASICS:
            blocks += _basics(karte, date_style)
        elif section is KarteSection.ATTENDANCE:
            blocks += _attendance(karte, date_style)
        elif section is KarteSection.HEALTH_ROOM:
            blocks += _health_room(karte, date_style)
        elif section is KarteSection.ACADEMIC:
            blocks += _academic(karte, date_style)
        elif section is KarteSection.SURVEY:
            blocks += _surveys(karte, date_style)
        elif section is KarteSection.RECORDS:
            blocks += _records(karte, records or {}, date_style)
    if karte.withheld:
        blocks.append(Paragraph(karte.withheld, note=True))
    blocks.append(Paragraph(
        "この資料はケース会議のためのものです。数値は取り込んだ記録の集計で、児童生徒を"
        "評価・分類するものではありません。会議の後は回収するか、シュレッダーで廃棄してください。",
        note=True))
    names = "・".join(SECTION_LABELS[s].split("（")[0] for s in chosen)
    return PrintDocument(kind=DocumentKind.KARTE, title=TITLE, blocks=tuple(blocks),
                         subject=f"児童生徒1人（{names}）", pupils=(karte.header.pupil_id,))
