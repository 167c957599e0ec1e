"""支援ケース after the meeting, through the shell on a real demo city: an action added to a
saved meeting, a meeting and a restricted note withdrawn with a reason and a confirmation
(kept on screen as withdrawn), and the case-meeting import screen — check first, then all
or nothing, stoppable — with a hand-written file shaped like the real ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, english_words, sign_in, visible_texts
from toda_desktop.cases.model import (
    ActionInput,
    ActionStatus,
    Attendee,
    AttendeeRole,
    CaseDomain,
    MeetingInput,
    NoteKind,
    RecordStatus,
)
from toda_desktop.composition import SignedIn
from ui import style
from ui.cases.action_dialog import AddActionDialog
from ui.cases.import_page import ERROR, WARNING, CaseImportPage, finding
from ui.cases.page import CasesPage
from ui.cases.view import CaseView
from ui.cases.withdraw_dialog import WithdrawDialog
from ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]

FIXTURE = Path(__file__).parents[1] / "fixtures" / "files" / "case_meetings.csv"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SECRET = "通院先と診断名の記録"


def _pupil(signed: SignedIn) -> int:
    return int(signed.store.db.call(lambda c: c.execute(
        "SELECT pupil_id FROM ds_enrollments WHERE school_year ="
        " (SELECT max(school_year) FROM ds_enrollments) ORDER BY pupil_id LIMIT 1 OFFSET 5"
    ).fetchone()[0]))


def _open(qtbot: QtBot, window: MainWindow, key: str) -> CaseView:
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    window.show_page("支援ケース")
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        cases.open_case(key)
    view = opened.args[0]
    assert isinstance(view, CaseView)
    return view


def _done(qtbot: QtBot, view: CaseView) -> None:
    qtbot.waitUntil(lambda: not view.task.running, timeout=WAIT_MS)
    assert view.status_line.styleSheet() == style.OK_TEXT, view.status_line.text()


def test_an_action_is_added_to_a_saved_meeting_and_the_meeting_withdrawn_with_a_reason(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-truancy")
    window.resize(1366, 768)
    signed = shell.signed
    assert signed is not None
    case = signed.cases.open_case(_pupil(signed), CaseDomain.TRUANCY, title="登校の支援")
    signed.cases.add_meeting(case.key, MeetingInput(
        date(2025, 10, 6), attendees=(Attendee("山田 花子", AttendeeRole.HOMEROOM),),
        actions=(ActionInput("朝の電話連絡", "担任"),)))
    view = _open(qtbot, window, case.key)
    tab = view.meetings_tab
    view.tabs.setCurrentWidget(tab)
    assert tab.add_action_button.isVisible() and tab.withdraw_button.isVisible()

    click(qtbot, tab.add_action_button)
    dialog = view.dialog
    assert isinstance(dialog, AddActionDialog)
    click(qtbot, dialog.ok_button)  # 内容 is required
    assert dialog.error_label.isVisible() and "内容" in dialog.error_label.text()
    dialog.what_edit.setText("放課後に別室で面談する")
    dialog.owner_edit.setText("SC")
    dialog.due_field.set_day(date(2025, 10, 31))
    click(qtbot, dialog.ok_button)
    _done(qtbot, view)
    actions = view.detail.meetings[0].actions
    assert [(a.what, a.owner, a.due, a.status) for a in actions][1] == (
        "放課後に別室で面談する", "SC", date(2025, 10, 31), ActionStatus.PLANNED)
    assert tab.form.action_rows.rows()[1]["what"] == "放課後に別室で面談する"

    click(qtbot, tab.withdraw_button)
    withdraw = view.dialog
    assert isinstance(withdraw, WithdrawDialog)
    assert "未完了の2件も一緒に取り下げ" in " ".join(visible_texts(withdraw))
    withdraw.reason_combo.setEditText("別の児童生徒の記録を誤って入力したため")
    click(qtbot, withdraw.ok_button)  # the confirmation is not ticked yet
    assert "確認しました" in withdraw.error_label.text()
    assert view.detail.meetings[0].status is RecordStatus.RECORDED
    withdraw.confirm_check.setChecked(True)
    click(qtbot, withdraw.ok_button)
    _done(qtbot, view)
    meeting = view.detail.meetings[0]
    assert meeting.status is RecordStatus.WITHDRAWN
    assert {a.status for a in meeting.actions} == {ActionStatus.WITHDRAWN}
    assert tab.list.count() == 1 and "取り下げ" in tab.list.item(0).text()  # still listed
    assert tab.withdrawn_label.isVisible()
    assert "別の児童生徒の記録を誤って入力したため" in tab.withdrawn_label.text()
    assert not tab.withdraw_button.isVisible() and not tab.add_action_button.isVisible()
    assert tab.form.action_rows.rows()[0]["status"] == "取り下げ"

    with qtbot.waitSignal(view.history_loaded, timeout=WAIT_MS):
        view.tabs.setCurrentWidget(view.history_tab)
    rows = [view.history_tab.model.cells(e) for e in view.history_tab.model.lines]
    withdrawn = [r for r in rows if r[2] == "ケース会議記録" and r[5] == "取り下げ"]
    assert withdrawn and withdrawn[0][1].startswith("デモ 不登校支援")  # who
    assert withdrawn[0][0].startswith("令和")  # when, in the user's date style
    assert withdrawn[0][6] == "別の児童生徒の記録を誤って入力したため"  # why
    assert any(r[2] == "支援の手立て" and r[3] == "手立て" and r[5] == "放課後に別室で面談する"
               for r in rows)
    assert not english_words(visible_texts(view), allowed=("SC", "demo", "truancy"))


def test_a_restricted_note_is_withdrawn_without_opening_it_and_stays_visible(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    signed = shell.signed
    assert signed is not None
    case = signed.cases.open_case(_pupil(signed), CaseDomain.TRUANCY, title="健康面の確認")
    signed.cases.add_note(case.key, NoteKind.HEALTH, SECRET)
    view = _open(qtbot, window, case.key)
    view.tabs.setCurrentWidget(view.notes_tab)
    card = view.notes_tab.cards[0]
    assert card.withdraw_button is not None
    click(qtbot, card.withdraw_button)
    dialog = view.dialog
    assert isinstance(dialog, WithdrawDialog)
    assert "内容は開かずに取り下げます" in " ".join(visible_texts(dialog))
    click(qtbot, dialog.ok_button)
    assert "理由" in dialog.error_label.text()  # a reason is required
    dialog.reason_combo.setEditText("同じ内容を重ねて入力したため")
    dialog.confirm_check.setChecked(True)
    click(qtbot, dialog.ok_button)
    _done(qtbot, view)
    [card] = view.notes_tab.cards
    assert card.note.status is RecordStatus.WITHDRAWN and card.withdraw_button is None
    assert card.objectName() == "withdrawnNote"
    texts = [label.text() for label in card.findChildren(QLabel) if label.isVisibleTo(card)]
    assert any(t.startswith("制限付きのメモ（健康・医療）あり") for t in texts)
    assert any("取り下げ — 理由: 同じ内容を重ねて入力したため" in t for t in texts)
    assert all(SECRET not in t for t in visible_texts(window))  # never opened for it


def _file(signed: SignedIn, tmp: Path, *, bad_date: bool = False) -> Path:
    """The hand-written fixture (title row, header variants, 和暦, full-width digits, an
    unknown column 備考, an unreadable due date 来週中) naming two pupils of the city."""
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT s.address_code, e.school_code, e.grade, e.class_name, e.seat_number"
        " FROM ds_students s JOIN ds_enrollments e ON e.pupil_id = s.id"
        " WHERE e.school_year = (SELECT max(school_year) FROM ds_enrollments)"
        " ORDER BY s.id LIMIT 2 OFFSET 30").fetchall())
    (code, *_), (_, school, grade, class_name, seat) = rows
    body = FIXTURE.read_text(encoding="utf-8")
    for key, value in {"ADDR_FW": str(code).translate(FULL_WIDTH), "SCHOOL": school,
                       "GRADE": grade, "CLASS": class_name, "SEAT": seat}.items():
        body = body.replace("{" + key + "}", str(value))
    if bad_date:
        body = body.replace("２０２５/１１/４", "十一月のどこか")
    out = tmp / ("ケース会議記録_誤り.csv" if bad_date else "ケース会議記録.csv")
    out.write_bytes(body.replace("\n", "\r\n").encode("cp932"))
    return out


def _import_page(window: MainWindow) -> CaseImportPage:
    page = window.show_page("ケース会議記録の取込")
    assert isinstance(page, CaseImportPage)
    return page


def _count(signed: SignedIn) -> int:
    return len(signed.cases.list_cases(statuses=()))


def test_the_import_screen_checks_first_then_imports_all_rows_or_none(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    window.resize(1366, 697)
    signed = shell.signed
    assert signed is not None
    page = _import_page(window)
    assert not page.check_button.isEnabled() and not page.import_button.isEnabled()
    qtbot.wait(50)
    # Before a check the form sits at the top, not spread down the page.
    assert page.check_button.mapTo(page, page.check_button.rect().topLeft()).y() < 300
    before = _count(signed)

    page.set_file(_file(signed, tmp_path, bad_date=True))
    with qtbot.waitSignal(page.checked, timeout=WAIT_MS) as checked:
        click(qtbot, page.check_button)
    report = checked.args[0]
    assert report.errors and not page.import_button.isEnabled()
    errors = [f for f in page.model.lines if f.level == ERROR]
    assert [(f.row, f.header) for f in errors] == [("4", "会議日")]
    assert "エラーが1件" in page.summary.text() and "何も取り込んでいません" in page.summary.text()
    shown = " ".join(page.model.cells(f)[3] for f in page.model.lines)
    assert "十一月のどこか" not in shown and "来週中" not in shown  # headers, never values

    good = _file(signed, tmp_path)
    page.set_file(good)
    with qtbot.waitSignal(page.checked, timeout=WAIT_MS) as checked:
        click(qtbot, page.check_button)
    report = checked.args[0]
    assert report.errors == () and report.meetings == 2 and not report.committed
    assert _count(signed) == before  # a check writes nothing
    warnings = {(f.row, f.header) for f in page.model.lines if f.level == WARNING}
    assert ("3", "期日２") in warnings and ("3", "参加者（役割）") in warnings
    assert any("「備考」" in f.text for f in page.model.lines)
    assert page.import_button.isEnabled()
    assert "よければ「取り込む」" in page.summary.text()

    page.domain_combo.setCurrentIndex(1)  # another 領域 than was checked: check again
    assert not page.import_button.isEnabled()
    page.domain_combo.setCurrentIndex(0)
    with qtbot.waitSignal(page.checked, timeout=WAIT_MS):
        click(qtbot, page.check_button)

    click(qtbot, page.import_button)  # on the worker; 中止 at once, before it can finish
    assert page.strip.isVisible() and page.strip.cancel_button.isEnabled()
    click(qtbot, page.strip.cancel_button)
    qtbot.waitUntil(lambda: not page.task.running, timeout=WAIT_MS)
    assert "中止" in page.status_line.text() and _count(signed) == before
    assert not page.import_button.isEnabled()  # checked again before the next try

    with qtbot.waitSignal(page.checked, timeout=WAIT_MS):
        click(qtbot, page.check_button)
    with qtbot.waitSignal(page.finished, timeout=WAIT_MS) as finished:
        click(qtbot, page.import_button)
    report = finished.args[0]
    assert report.committed and _count(signed) == before + report.cases_opened
    assert "取り込みました" in page.summary.text()
    assert not page.import_button.isEnabled()  # not twice

    with qtbot.waitSignal(page.checked, timeout=WAIT_MS) as again:  # the same file again
        click(qtbot, page.check_button)
    assert again.args[0].skipped == 2 and again.args[0].meetings == 0
    assert "記録済みのため取り込まない会議 2件" in page.summary.text()


def test_a_finding_is_split_into_row_and_header_only_when_it_names_a_row() -> None:
    row = finding(WARNING, "3行目「期日２」: 日付として読めません。")
    assert (row.row, row.header, row.text) == ("3", "期日２", "日付として読めません。")
    note = finding(WARNING, "1行目は表題として読み飛ばし、2行目を見出しとして読みました。")
    assert (note.row, note.header) == ("", "")
    assert note.text == "1行目は表題として読み飛ばし、2行目を見出しとして読みました。"
