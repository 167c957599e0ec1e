"""The printed 学校カルテ for one school (issue 15): a PrintDocument ready to hand to a 校長.

Aggregates only (``pupils`` empty): basic information over the years, each survey's domains
for the school and its grades with n, 95% interval, the city value, the difference, the
colour rule in words and the two comparisons; growth with the charts; correlations within
the school; push-support counts. The fixed caption opens and closes it: these are
associations to help improvement, not a judgment of a school or its teachers.
"""

from __future__ import annotations

from collections.abc import Iterable

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_school_year
from toda_desktop.printing.document import (
    Block,
    DocumentKind,
    Fields,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    PrintDocument,
    Table,
)
from toda_desktop.school_karte import figures
from toda_desktop.school_karte.models import (
    MIN_PUPILS,
    RULE_POINTS,
    TONE_LABELS,
    Cell,
    Interval,
    SchoolKarte,
    SupportCount,
    SurveyResult,
)

DASH = "—"
SUPPRESSED = "非表示"  # a group under 10, or one that a sum or difference would give away
OUTCOME_LABELS = {"growth": "学力の伸び", "absence": "欠席率"}
MEASURE_LABELS = {"push_support": "プッシュ型支援の3基準に該当", "alert": "見守りアラート",
                  "consultation": "教育相談・SC/SSW相談"}
RULE_NOTE = (f"判定：95%区間が市の値を含まず、市より{RULE_POINTS:g}ポイント以上高い（低い）とき"
             f"「高い（低い）」、区間が市の値を含むときは「差は不確か」。"
             f"{MIN_PUPILS}人未満の集団は表示しません。ほかの欄との足し引き（学年と学級、市と各校、"
             f"前年度の学級と同じ児童生徒）で{MIN_PUPILS}人未満の集団が分かってしまう欄も表示しません。"
             f"区間はWilsonの方法（児童生徒数をnとする）。")


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}%"


def cell_text(c: Cell | None) -> str:
    """「72.5%（n=51、60.1〜82.0）」, 「非表示」 or 「—」."""
    if c is None:
        return DASH
    if c.suppressed:
        return SUPPRESSED
    assert c.value is not None and c.interval is not None
    return f"{c.value:.1f}%（n={c.n}、{c.interval.low:.1f}〜{c.interval.high:.1f}）"


def difference_text(c: Cell) -> str:
    return DASH if c.difference is None else f"{c.difference:+.1f}"


def _grade(grade: int | None) -> str:
    return "学校全体" if grade is None else f"{grade}年"


def _basic(karte: SchoolKarte, style: DateStyle) -> list[Block]:
    rows = tuple(
        (format_school_year(b.school_year, style),
         DASH if b.pupils is None else f"{b.pupils}人",
         DASH if b.classes is None else f"{b.classes}学級",
         DASH if b.staff is None else f"{b.staff}人",
         _pct(b.welfare_rate), _pct(b.special_needs_rate), _pct(b.japanese_support_rate))
        for b in karte.basic_info)
    if not rows:
        return []
    return [Heading("学校基礎情報"), Table(
        ("年度", "児童生徒数", "学級数", "教職員数", "就学援助率", "特別支援率", "日本語指導率"),
        rows)]


def _survey_blocks(karte: SchoolKarte, style: DateStyle) -> list[Block]:
    out: list[Block] = []
    for info in karte.surveys:
        every = [r for r in karte.results if r.survey_code == info.code
                 and r.class_name is None and r.item_code is None]
        rows = [r for r in every if not _all_suppressed(r)]
        if not rows:
            continue
        out.append(Heading(f"{info.name}（{format_school_year(karte.school_year, style)}）", 2))
        out.append(Paragraph(info.positive_rule, note=True))
        left_out = sorted({r.grade for r in every if _all_suppressed(r) and r.grade is not None})
        if left_out:
            out.append(Paragraph(
                "、".join(f"{g}年" for g in left_out)
                + "は、どの値も少人数の集団を守るため表に載せていません。", note=True))
        out.append(Table(
            ("学年", "領域", "回", "本校", "市", "差", "判定", "前年度の同学年",
             "同じ児童生徒の前年度"),
            tuple(_survey_row(r) for r in rows),
            widths=(1.0, 1.2, 0.5, 2.2, 0.9, 0.8, 1.6, 2.2, 2.2)))
        last_round = max(info.rounds)
        whole = [r for r in rows if r.grade is None and r.round == last_round]
        if whole:
            out.append(Figure(figures.domain_chart(
                [r.domain for r in whole], [r.current.value for r in whole],
                [None if r.current.interval is None else r.current.interval.low for r in whole],
                [None if r.current.interval is None else r.current.interval.high
                 for r in whole],
                [r.current.city for r in whole],
                f"{info.name} 第{last_round}回（学校全体）"), width_share=0.8))
    if out:
        out = [Heading("調査結果（肯定的回答の割合）"), Paragraph(RULE_NOTE, note=True), *out]
    return out


def _all_suppressed(r: SurveyResult) -> bool:
    """Nothing to read in the row: every cell suppressed or absent."""
    cells = (r.current, r.same_grade_last_year, r.same_pupils_last_year)
    return all(c is None or c.suppressed for c in cells)


def _survey_row(r: SurveyResult) -> tuple[str, ...]:
    c = r.current
    return (_grade(r.grade), r.domain or DASH, str(r.round), cell_text(c), _pct(c.city),
            difference_text(c), TONE_LABELS[c.tone] if not c.suppressed else SUPPRESSED,
            cell_text(r.same_grade_last_year), cell_text(r.same_pupils_last_year))


def _growth(karte: SchoolKarte) -> list[Block]:
    va = karte.growth
    effect = karte.effect
    if va is None or effect is None:
        return []
    code = karte.school.code
    return [
        PageBreak(),
        Heading("成長（付加価値）"),
        Paragraph("同じ児童生徒の県学調の学力レベル（教科平均）の前年度からの伸びを、前年度の"
                  "レベルと学年、学校の就学援助率・特別支援率・日本語指導率で予測した値と比べ、"
                  "学校数が少ないことを踏まえて経験ベイズ法で縮小推定しています。", note=True),
        Fields((
            ("本校の成長の差", f"{effect.effect:+.2f}レベル（95%区間 {effect.interval.low:+.2f}〜"
                        f"{effect.interval.high:+.2f}）"),
            ("比べた児童生徒数", f"{effect.n}人"),
            ("学力を伸ばした児童生徒の割合", f"{effect.grew_share:.1f}%（市 "
                                    f"{va.city_grew_share:.1f}%）"),
            ("区間の見方", "区間が0をまたぐとき、市全体との差は不確かです。"),
        )),
        Figure(figures.caterpillar(va, code), width_share=0.9),
        Figure(figures.funnel(va, code), width_share=0.9),
        Figure(figures.quadrant(va, code), width_share=0.75),
    ]


def _correlations(karte: SchoolKarte) -> list[Block]:
    rows = []
    domains = [c for c in karte.correlations if c.item_code is None]  # items: on screen
    own = {(c.survey_code, c.round, c.domain, c.outcome): c.correlation
           for c in domains if c.school_code == karte.school.code}
    city = {(c.survey_code, c.round, c.domain, c.outcome): c.correlation
            for c in domains if c.school_code is None and c.level == "pupil"}
    names = {s.code: s.name for s in karte.surveys}
    for key in sorted(own):
        survey, rnd, domain, outcome = key
        mine, all_ = own[key], city.get(key)
        rows.append((f"{names.get(survey, survey)} 第{rnd}回", domain or DASH,
                     OUTCOME_LABELS[outcome], _r(mine.r, mine.n, mine.interval),
                     DASH if all_ is None else _r(all_.r, all_.n, all_.interval)))
    if not rows:
        return []
    return [Heading("調査と学力の伸び・欠席との関連（相関係数）"),
            Paragraph("児童生徒ごとの肯定的回答の割合と、学力の伸び・欠席率との相関です。"
                      "関連であり、原因を示すものではありません。", note=True),
            Table(("調査", "領域", "相手", "本校", "市全体"), tuple(rows))]


def _r(r: float | None, n: int | None, interval: Interval | None) -> str:
    if r is None or interval is None:
        return SUPPRESSED if n is None else DASH
    return f"{r:+.2f}（n={n}、{interval.low:+.2f}〜{interval.high:+.2f}）"


def _support(karte: SchoolKarte) -> list[Block]:
    rows = [_support_row(c) for c in karte.support if c.class_name is None]
    if not rows:
        return []
    return [Heading("プッシュ型支援に関わる件数"),
            Paragraph(f"集団の児童生徒が{MIN_PUPILS}人未満のとき、また足し引きでそれが分かって"
                      "しまうときは件数を示しません。", note=True),
            Table(("学年", "項目", "月", "区分", "件数"), tuple(rows))]


def _support_row(c: SupportCount) -> tuple[str, ...]:
    month = DASH if c.month is None else f"{int(c.month[:4])}年{int(c.month[5:7])}月"
    status = c.status or ("未確認" if c.measure == "alert" else DASH)
    return (_grade(c.grade), MEASURE_LABELS[c.measure], month, status,
            SUPPRESSED if c.count is None else f"{c.count}")


def school_karte_sheet(karte: SchoolKarte, style: DateStyle = DateStyle.SEIREKI
                       ) -> PrintDocument:
    year = format_school_year(karte.school_year, style)
    blocks: list[Block] = [
        Heading(f"学校カルテ　{karte.school.name}（{year}）"),
        Paragraph(karte.caption),
    ]
    sections: Iterable[list[Block]] = (
        _basic(karte, style), _survey_blocks(karte, style), _growth(karte),
        _correlations(karte), _support(karte))
    for section in sections:
        blocks.extend(section)
    blocks.extend(Paragraph(n, note=True) for n in karte.notes)
    blocks.append(Paragraph(karte.caption, note=True))
    return PrintDocument(
        kind=DocumentKind.SCHOOL_KARTE, title=f"学校カルテ　{karte.school.name}",
        blocks=tuple(blocks), subject=f"1校（{karte.school.name}・{year}）", pupils=(),
        landscape=True)
