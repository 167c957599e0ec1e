"""The 見守りアラート list of one school for a meeting (pure: from what the page shows).

The same words as the screen: 順 is the order in which to look at the children first, the
band and the reasons are a guide, and the page says so — no child is labelled. A role that
does not see who is listed prints the list without names (then no pupil is on the sheet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.formatting import BLANK, class_label, format_month
from toda_desktop.printing.document import (
    Block,
    DocumentKind,
    Fields,
    Paragraph,
    PrintDocument,
    Table,
)

if TYPE_CHECKING:  # (the risk service brings scikit-learn; the sheet needs only the type)
    from toda_desktop.risk.service import Alert

HIDDEN = "（表示しない役割）"
GUIDE = ("この一覧は、先に様子を確かめる児童生徒の目安です。児童生徒を分類するものではありません。"
         "帯と理由は目安です。判断は必ず、子どもの様子を知る人が行ってください。")


def alert_sheet(alerts: Sequence[Alert], month: SchoolMonth, date_style: DateStyle
                ) -> PrintDocument:
    """One school's alerts of ``month`` (in the list's order)."""
    if not alerts:
        raise ValueError("an alert sheet needs the alerts of one school")
    schools = {a.school_code for a in alerts}
    if len(schools) != 1:
        raise ValueError("an alert sheet is for one school")
    ordered = sorted(alerts, key=lambda a: a.rank)
    school = ordered[0].school_name
    this = format_month(month, date_style)
    before = format_month(month.previous(), date_style)
    rows = []
    for a in ordered:
        klass = class_label(a.grade, a.class_name or "") if a.name else HIDDEN
        rows.append((str(a.rank), a.name or HIDDEN, klass or BLANK, a.band,
                     "\n".join(f"・{r}" for r in a.reasons) or BLANK,
                     a.status or "未記録"))
    blocks: list[Block] = [
        Fields((("学校", school), ("対象月", this), ("作成の元", f"{before}末までのデータ"),
                ("人数", f"{len(ordered)}人")), columns=2),
        Paragraph(GUIDE, note=True),
        Table(("順", "氏名", "学年・組", "帯", "主な理由", "記録"), tuple(rows),
              widths=(0.5, 1.6, 1.0, 0.5, 4.2, 1.0)),
        Paragraph("「順」は学校の中で先に様子を確かめる順です。"
                  "「記録」は確認済み・見守り・支援開始・対象外の記録です。", note=True),
    ]
    pupils = tuple(a.pupil_id for a in ordered if a.pupil_id is not None and a.name)
    return PrintDocument(kind=DocumentKind.ALERT_LIST,
                         title=f"見守りアラートの一覧（{this}）", blocks=tuple(blocks),
                         subject=f"{school}・{len(ordered)}人", pupils=pupils, landscape=True)
