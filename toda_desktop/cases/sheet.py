"""The case sheets to print (issue 14), built from what the case service already read.

``meeting_sheet`` is the ケース会議・検討会等記録シート of one meeting, laid out as MEXT's
児童生徒理解・支援シート (2018) has it: who met, the child's and the guardian's wishes, the
assessment with the child's strengths, the goals, the actions with owner and due date, the
next review and — once recorded — the review with the data beside it. ``support_sheet`` is the
共通シート with the 学年別シート and a list of the meetings. Both are pure: text in the
user's date style, no Qt, no store. Notes are never printed (a restricted note's text is not
even in a ``CaseDetail``); a withdrawn item is left out.
"""

from __future__ import annotations

from kernel.date_style import DateStyle
from toda_desktop.cases.model import (
    CaseDetail,
    CaseSummary,
    Evidence,
    Meeting,
    RecordStatus,
)
from toda_desktop.errors import UserFacingError
from toda_desktop.formatting import class_label, format_date, format_month, format_phrase
from toda_desktop.phrase import SchoolYear
from toda_desktop.printing.document import (
    Block,
    DocumentKind,
    Fields,
    Heading,
    Paragraph,
    PrintDocument,
    Table,
)

NONE = "—"
MEETING_TITLE = "ケース会議・検討会等記録シート"
SUPPORT_TITLE = "児童生徒理解・支援シート"


def _or_none(text: str) -> str:
    return text.strip() or NONE


def support_sheet_placement(s: CaseSummary) -> str:
    """「東中学校 2年1組」 on the sheets (the latest enrollment)."""
    return " ".join(p for p in (s.school_name, class_label(s.grade, s.class_name)) if p) or NONE


def _header(s: CaseSummary, style: DateStyle) -> Fields:
    return Fields(rows=(
        ("児童生徒氏名", s.pupil_name or NONE), ("学校・学年・組", support_sheet_placement(s)),
        ("ケース番号", s.label), ("領域", s.domain.label),
        ("件名", _or_none(s.title)), ("状態", s.status.label),
        ("きっかけ", s.source.label), ("作成日", format_date(s.opened_at, style)),
    ), columns=2)


def _evidence_blocks(e: Evidence, style: DateStyle) -> list[Block]:
    blocks: list[Block] = []
    rows: list[tuple[str, str]] = []
    if e.absence is not None:
        rows.append(("欠席日数（月平均）",
                     f"会議前3か月 {_days(e.absence_before)} → 会議後 {_days(e.absence_after)}"))
    if e.health_before is not None:
        rows.append(("保健室利用", f"会議前3か月 {e.health_before}回 → 会議後 {e.health_after}回"))
    if rows:
        blocks.append(Fields(rows=tuple(rows)))
    if e.absence:
        blocks.append(Table(
            columns=("月", "欠席日数", "授業日数", "時期"),
            rows=tuple((format_month(a.month, style),
                        NONE if a.absence_days is None else f"{a.absence_days}日",
                        NONE if a.school_days is None else f"{a.school_days}日",
                        "会議の月" if a.after is None else "会議後" if a.after else "会議前")
                       for a in e.absence),
            caption="出欠（月別）", widths=(2, 1, 1, 1)))
    if e.surveys:
        blocks.append(Table(
            columns=("調査", "実施日", "肯定的回答の割合", "時期"),
            rows=tuple((s.survey_name, format_date(s.first_date, style),
                        NONE if s.positive_share is None else f"{s.positive_share:.1f}%",
                        "会議後" if s.after else "会議前") for s in e.surveys),
            caption="アンケート", widths=(3, 2, 2, 1)))
    if e.withheld:
        blocks.append(Paragraph(e.withheld, note=True))
    return blocks


def _days(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}日"


def _meeting_blocks(m: Meeting, style: DateStyle) -> list[Block]:
    blocks: list[Block] = [
        Fields(rows=(("開催日", format_date(m.held_on, style)), ("会議の種類", m.meeting_type),
                     ("次回の振り返り日", format_date(m.next_review, style)),
                     ("記録者", m.created_by)), columns=2),
        Heading("出席者", 2),
        Table(columns=("役割", "氏名", "所属・機関"),
              rows=tuple((a.role.label, a.name or NONE, a.organisation or NONE)
                         for a in m.attendees) or ((NONE, NONE, NONE),),
              widths=(2, 2, 3)),
        Heading("本人・保護者の願い", 2),
        Fields(rows=(("本人の願い", _or_none(m.child_wish)),
                     ("保護者の願い", _or_none(m.guardian_wish)))),
        Heading("見立て（アセスメント）", 2),
        Fields(rows=(("見立て", _or_none(m.assessment)),
                     ("本人のよさ・強み", _or_none(m.strengths)))),
        Heading("支援の目標", 2),
        Fields(rows=(("長期目標", _or_none(m.long_goal)), ("短期目標", _or_none(m.short_goal)))),
        Heading("支援の手立て（役割分担）", 2),
        Table(columns=("手立て", "担当", "期限", "状況"),
              rows=tuple((a.what, a.owner or NONE, format_date(a.due, style), a.status.label)
                         for a in m.actions if a.status.value != "withdrawn")
              or ((NONE, NONE, NONE, NONE),),
              widths=(4, 2, 2, 1)),
    ]
    if m.unknown:
        blocks.append(Fields(rows=tuple(m.unknown)))
    review = m.review
    if review is not None:
        outcomes = {o.action_id: o for o in review.outcomes}
        blocks += [
            Heading("振り返り", 2),
            Fields(rows=(("振り返り日", format_date(review.reviewed_on, style)),
                         ("実施できたか", review.done.label),
                         ("効果があったか", review.worked.label),
                         ("内容", _or_none(review.comment))), columns=1),
        ]
        rows = tuple((a.what, outcomes[a.id].done.label, outcomes[a.id].worked.label,
                      outcomes[a.id].note or NONE) for a in m.actions if a.id in outcomes)
        if rows:
            blocks.append(Table(columns=("手立て", "実施", "効果", "メモ"), rows=rows,
                                widths=(3, 2, 2, 3)))
        if review.evidence is not None:
            blocks.append(Heading("振り返りの時点のデータ", 2))
            blocks += _evidence_blocks(review.evidence, style)
    return blocks


def meeting_sheet(detail: CaseDetail, meeting_id: int,
                  style: DateStyle = DateStyle.SEIREKI) -> PrintDocument:
    """One meeting's ケース会議・検討会等記録シート."""
    meeting = next((m for m in detail.meetings if m.id == meeting_id), None)
    if meeting is None or meeting.status is RecordStatus.WITHDRAWN:
        raise UserFacingError("その会議の記録は見つかりません。")
    s = detail.summary
    blocks: list[Block] = [
        _header(s, style),
        Heading("これまでの経過（共通シートより）"),
        Fields(rows=(("本人の状況・特性・よさ", _or_none(detail.common.profile)),
                     ("家庭の状況", _or_none(detail.common.family)),
                     ("これまでの支援", _or_none(detail.common.support_history)))),
        Heading(f"{meeting.meeting_type}の記録"),
        *_meeting_blocks(meeting, style),
    ]
    return PrintDocument(
        kind=DocumentKind.CASE_SHEET, title=MEETING_TITLE, blocks=tuple(blocks),
        # The print log sits in the store file every account opens: the subject names
        # neither the case nor the meeting's date (the serial on the sheet finds it).
        subject=f"支援ケース・{meeting.meeting_type}の記録",
        pupils=(s.pupil_id,))


def support_sheet(detail: CaseDetail, style: DateStyle = DateStyle.SEIREKI) -> PrintDocument:
    """The 児童生徒理解・支援シート: 共通シート, 学年別シート and the meetings held."""
    s = detail.summary
    blocks: list[Block] = [
        _header(s, style),
        Heading("共通シート"),
        Fields(rows=(("本人の状況・特性・よさ", _or_none(detail.common.profile)),
                     ("家庭の状況", _or_none(detail.common.family)),
                     ("これまでの支援", _or_none(detail.common.support_history)))),
    ]
    for y in detail.years:
        if y.status is RecordStatus.WITHDRAWN:
            continue
        blocks += [
            Heading(f"学年別シート（{format_date_year(y.school_year, style)}）"),
            Fields(rows=(("学校名", _or_none(y.school_name)), ("学年", _or_none(y.grade)),
                         ("担任", _or_none(y.homeroom_teacher))), columns=3),
            Fields(rows=(("この年度の状況", _or_none(y.situation)),
                         ("支援の目標", _or_none(y.goal)),
                         ("支援の内容・方法", _or_none(y.plan)),
                         ("評価", _or_none(y.evaluation)))),
        ]
    held = [m for m in detail.meetings if m.status is not RecordStatus.WITHDRAWN]
    blocks += [
        Heading("ケース会議・検討会等の記録"),
        Table(columns=("開催日", "会議の種類", "短期目標", "次回の振り返り", "振り返り"),
              rows=tuple((format_date(m.held_on, style), m.meeting_type,
                          _or_none(m.short_goal), format_date(m.next_review, style),
                          f"{m.review.done.label}・{m.review.worked.label}" if m.review
                          else "未実施") for m in held) or ((NONE,) * 5,),
              widths=(2, 2, 4, 2, 3)),
    ]
    return PrintDocument(kind=DocumentKind.CASE_SHEET, title=SUPPORT_TITLE,
                         blocks=tuple(blocks), subject="支援ケース・支援シート",
                         pupils=(s.pupil_id,))


def format_date_year(school_year: int, style: DateStyle) -> str:
    """「2025年度」 or 「令和7年度」."""
    return format_phrase((SchoolYear(school_year),), style)
