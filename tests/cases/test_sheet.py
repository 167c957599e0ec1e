"""The case sheets as PrintDocuments: MEXT's sections in order, the user's date style, nothing
withdrawn or restricted on paper (pure: no Qt, no store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.cases.model import (
    Action,
    ActionOutcome,
    ActionStatus,
    Attendee,
    AttendeeRole,
    CaseDetail,
    CaseDomain,
    CaseSource,
    CaseStatus,
    CaseSummary,
    CommonSheet,
    Done,
    Evidence,
    Meeting,
    MonthAbsence,
    NoteKind,
    NoteSummary,
    RecordStatus,
    Review,
    Worked,
    YearSheet,
)
from toda_desktop.cases.sheet import meeting_sheet, support_sheet
from toda_desktop.errors import UserFacingError
from toda_desktop.printing.document import DocumentKind, Fields, Heading, Table

AT = datetime(2025, 10, 6, 16, 0)


def _action(i: int, what: str, status: ActionStatus = ActionStatus.PLANNED) -> Action:
    return Action(i, 1, what, "担任", date(2025, 10, 20), status, "")


def _detail() -> CaseDetail:
    evidence = Evidence(date(2025, 10, 6), date(2025, 11, 17),
                        (MonthAbsence(SchoolMonth(2025, 9), 8, 20, False),
                         MonthAbsence(SchoolMonth(2025, 10), 5, 21, None),
                         MonthAbsence(SchoolMonth(2025, 11), 2, 19, True)),
                        8.0, 2.0, 3, 1, None, "アンケートのデータは、閲覧できる範囲に含まれない")
    review = Review(1, 1, date(2025, 11, 17), Done.PARTLY, Worked.WORKED, "別室登校が定着",
                    (ActionOutcome(1, Done.DONE, Worked.WORKED, "毎朝できた"),), evidence,
                    RecordStatus.RECORDED, "デモ 不登校支援（demo-truancy）", AT)
    meeting = Meeting(
        1, date(2025, 10, 6), "ケース会議",
        (Attendee("山田 花子", AttendeeRole.HOMEROOM), Attendee("田中", AttendeeRole.AGENCY,
                                                              "児童相談所")),
        "友だちと話したい", "朝起きられるように", "朝の不調", "絵が得意", "教室で過ごせる",
        "週2回の別室登校", date(2025, 11, 17),
        (_action(1, "朝の電話連絡"), _action(2, "誤って入れた手立て", ActionStatus.WITHDRAWN)),
        review, (("備考", "保護者同席"),), RecordStatus.RECORDED, "",
        "デモ 不登校支援（demo-truancy）", AT)
    summary = CaseSummary(
        "truancy:12", "不登校-0012", CaseDomain.TRUANCY, 4321, "戸田 太郎", "戸田第一小学校", 5,
        "2", "登校しぶり", CaseStatus.OPEN, CaseSource.ALERT, "7", "デモ 不登校支援", AT, AT,
        None, 1, 1)
    years = (YearSheet(1, 2025, "戸田第一小学校", "5", "山田", "欠席が増えた", "別室登校",
                       "週2回", "", RecordStatus.RECORDED, "x", AT),)
    notes = (NoteSummary(1, NoteKind.CHILD_PROTECTION, date(2025, 10, 1), "x", True, None,
                         RecordStatus.RECORDED, ""),)
    return CaseDetail(summary, CommonSheet("絵が得意", "母と二人", "SC面談"), years,
                      (meeting, replace(meeting, id=2, status=RecordStatus.WITHDRAWN)), notes,
                      "", True)


def _text(blocks: tuple[object, ...]) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(b.text)
        elif isinstance(b, Fields):
            out += [f"{k}:{v}" for k, v in b.rows]
        elif isinstance(b, Table):
            out += ["|".join(r) for r in b.rows]
    return "\n".join(out)


def test_the_meeting_sheet_has_mexts_sections_in_order_and_names_its_pupil() -> None:
    doc = meeting_sheet(_detail(), 1, DateStyle.WAREKI)
    assert doc.kind is DocumentKind.CASE_SHEET and doc.pupils == (4321,)
    assert doc.title == "ケース会議・検討会等記録シート"
    # the print log (readable with any account's key) names no pupil, case or meeting date
    assert "戸田 太郎" not in doc.subject and "不登校-0012" not in doc.subject
    assert not any(ch.isdigit() for ch in doc.subject)
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert headings == ["これまでの経過（共通シートより）", "ケース会議の記録", "出席者",
                        "本人・保護者の願い", "見立て（アセスメント）", "支援の目標",
                        "支援の手立て（役割分担）", "振り返り", "振り返りの時点のデータ"]
    text = _text(doc.blocks)
    assert "開催日:令和7年10月6日" in text and "次回の振り返り日:令和7年11月17日" in text
    assert "関係機関|田中|児童相談所" in text and "本人のよさ・強み:絵が得意" in text
    assert "朝の電話連絡|担任|令和7年10月20日|未着手" in text
    assert "誤って入れた手立て" not in text  # withdrawn: not on paper
    assert "実施できたか:一部実施できた" in text and "効果があったか:効果があった" in text
    assert "会議前3か月 8.0日 → 会議後 2.0日" in text and "令和7年10月|5日|21日|会議の月" in text
    assert "備考:保護者同席" in text


def test_the_sheet_follows_the_date_style_and_its_digest_the_content() -> None:
    wareki = meeting_sheet(_detail(), 1, DateStyle.WAREKI)
    seireki = meeting_sheet(_detail(), 1, DateStyle.SEIREKI)
    assert "開催日:2025年10月6日" in _text(seireki.blocks)
    assert wareki.digest() != seireki.digest()
    assert wareki.digest() == meeting_sheet(_detail(), 1, DateStyle.WAREKI).digest()


def test_a_withdrawn_or_unknown_meeting_is_not_printed() -> None:
    with pytest.raises(UserFacingError):
        meeting_sheet(_detail(), 2)
    with pytest.raises(UserFacingError):
        meeting_sheet(_detail(), 99)


def test_the_support_sheet_has_the_common_and_year_sheets_and_no_note() -> None:
    doc = support_sheet(_detail(), DateStyle.WAREKI)
    text = _text(doc.blocks)
    assert doc.title == "児童生徒理解・支援シート" and doc.pupils == (4321,)
    assert "学年別シート（令和7年度）" in text and "この年度の状況:欠席が増えた" in text
    assert "家庭の状況:母と二人" in text
    assert ("令和7年10月6日|ケース会議|週2回の別室登校|令和7年11月17日|"
            "一部実施できた・効果があった") in text
    assert text.count("ケース会議|") == 1  # the withdrawn meeting is left out
    assert "児童虐待" not in text
