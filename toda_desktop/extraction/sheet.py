"""An extraction's result list for a meeting (pure: from the result the page shows).

The conditions, the number found in the population, and one row per pupil with the value
each condition matched on — the screen's columns, with the guidance that the list is a hint
for noticing children, not a ranking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    BLANK,
    class_label,
    format_count,
    format_datetime,
    format_phrase,
    format_school_year,
)
from toda_desktop.printing.document import (
    Block,
    DocumentKind,
    Fields,
    Heading,
    Paragraph,
    PrintDocument,
    Table,
)

if TYPE_CHECKING:
    from toda_desktop.extraction.service import ExtractionResult

GUIDANCE = ("抽出結果は、支援が必要かもしれない児童生徒に早く気づくための手がかりです。"
            "児童生徒を評価したり順位を付けたりするものではありません。")


def extraction_sheet(result: ExtractionResult, date_style: DateStyle, *,
                     with_address: bool = False) -> PrintDocument:
    """The list as shown; ``with_address``: with the 宛名番号 column (roles that see it)."""
    year = format_school_year(result.school_year, date_style)
    conditions = [format_phrase(c, date_style) for c in result.conditions]
    blocks: list[Block] = [
        Fields((("抽出条件の名前", result.name or "（名前なし）"),
                ("対象", f"{year}に在籍する{format_count(result.population)}人"),
                ("当てはまった人数", f"{format_count(len(result.rows))}人"),
                ("実行日時", format_datetime(result.run_at, date_style))), columns=2),
        Heading("条件", level=2),
        Table(("", "条件", "この条件だけで当てはまる人数"), tuple(
            (f"条件{n}", format_phrase(c.condition, date_style), f"{format_count(c.pupils)}人")
            for n, c in enumerate(result.counts, start=1)), widths=(0.7, 5, 1.6)),
        Heading("当てはまった児童生徒", level=2),
    ]
    head = ["氏名", "ふりがな", "学校", "学年・組"]
    if with_address:
        head.append("宛名番号")
    head += [f"条件{n}" for n in range(1, len(conditions) + 1)]
    rows = []
    for r in result.rows:
        cells = [r.name, r.name_kana, r.school_name,
                 class_label(r.grade, r.class_name, r.seat_number) or BLANK]
        if with_address:
            cells.append(r.address_code or BLANK)
        cells += [format_phrase(v.value, date_style) for v in r.values]
        cells += [""] * (len(head) - len(cells))
        rows.append(tuple(cells))
    widths = [1.6, 1.8, 1.8, 1.2] + ([1.2] if with_address else []) + [1.4] * len(conditions)
    blocks.append(Table(tuple(head), tuple(rows), widths=tuple(widths)))
    blocks.append(Paragraph(GUIDANCE, note=True))
    return PrintDocument(
        kind=DocumentKind.EXTRACTION_LIST, title=f"抽出結果の一覧（{year}）",
        blocks=tuple(blocks), subject=f"抽出結果・{format_count(len(result.rows))}人",
        pupils=tuple(r.pupil_id for r in result.rows), landscape=True)
