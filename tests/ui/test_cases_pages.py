"""支援ケース through the shell, against a real small demo city (services not mocked): a case
from an alert marked 支援開始 through its meeting and review with the history, as the
truancy-support role and as the lead; drafts that survive an idle lock; a restricted note
that opens only on the deliberate action; who sees the pages at all."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kernel.school_calendar import SchoolMonth
from storage import audit as audit_repo
from tests.conftest import copy_store
from tests.risk.conftest import sign_in as sign_in_service
from tests.ui.conftest import ShellFactory, WallClock
from tests.ui.flows import WAIT_MS, click, english_words, sign_in, visible_texts
from toda_desktop.cases.model import CaseDomain, NoteKind
from toda_desktop.risk import RiskService
from ui import style
from ui.cases.karte_section import KarteCasesSection
from ui.cases.notes_tab import OPEN_TEXT
from ui.cases.page import CasesPage
from ui.cases.schedule_page import SchedulePage
from ui.cases.view import CaseView
from ui.karte.page import KartePage
from ui.main_window import MainWindow
from ui.risk.alerts_page import AlertsPage
from ui.search.page import SearchPage
from ui.shell import Shell

pytestmark = pytest.mark.gui

MONTH = SchoolMonth(2025, 10)
SECRET = "児童相談所と連絡済み。家庭訪問の記録は別紙。"
Listed = tuple[Path, int, int]  # store, alert id (marked 支援開始), pupil id


@pytest.fixture(scope="module")
def listed(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Listed:
    """The demo city with a quick model, October's lists, and one alert marked 支援開始."""
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("cases-ui") / "demo.tdb")
    lead = sign_in_service(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        risk.score(MONTH)
        alert = next(a for a in risk.alerts(MONTH) if a.pupil_id is not None)
        risk.mark_alert(alert.id, "支援開始", "担任と面談を始めた")
        assert alert.pupil_id is not None
        return path, alert.id, alert.pupil_id
    finally:
        lead.sign_out()


def _shell(make_shell: ShellFactory, tmp_path: Path, listed: Listed, **options: object
           ) -> Shell:
    return make_shell(copy_store(listed[0], tmp_path / "store" / "demo.tdb"), **options)


def _case_from_alert(qtbot: QtBot, window: MainWindow, alert_id: int) -> CaseView:
    alerts = window.show_page("見守りアラート")
    assert isinstance(alerts, AlertsPage)
    qtbot.waitUntil(lambda: alerts.month_combo.count() > 0 and not alerts.busy,
                    timeout=WAIT_MS)
    alerts.select_month(MONTH)
    qtbot.waitUntil(lambda: alerts.month == MONTH and bool(alerts.alerts) and not alerts.busy,
                    timeout=WAIT_MS)
    assert alerts.select_alert(alert_id)
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        click(qtbot, alerts.case_button)
    view = opened.args[0]
    assert isinstance(view, CaseView)
    return view


def _saved(qtbot: QtBot, view: CaseView) -> None:
    qtbot.waitUntil(lambda: not view.task.running, timeout=WAIT_MS)
    text = view.status_line.text()
    assert view.status_line.isVisible(), text
    assert view.status_line.styleSheet() == style.OK_TEXT, text  # a result, not an error


@pytest.mark.slow
@pytest.mark.parametrize("login", ["demo-truancy", "demo-lead"])
def test_a_case_from_an_alert_goes_through_meeting_and_review_and_keeps_its_history(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed, login: str
) -> None:
    shell = _shell(make_shell, tmp_path, listed)
    window = sign_in(qtbot, shell, login)
    window.resize(1366, 768)
    view = _case_from_alert(qtbot, window, listed[1])
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    assert view.detail.summary.pupil_id == listed[2]
    assert view.detail.summary.source.label == "見守りアラート"
    assert view.may_edit and view.common_save.isVisible()

    view.common_form.grid.entries["profile"].setPlainText("絵を描くことが得意。朝が苦手。")
    click(qtbot, view.common_save)
    _saved(qtbot, view)

    view.tabs.setCurrentWidget(view.meetings_tab)
    tab = view.meetings_tab
    click(qtbot, tab.new_button)
    form = tab.form
    form.held_on.set_day(date(2025, 9, 1))
    form.held_on.edited.emit()
    assert form.next_review.day() == date(2025, 9, 1) + timedelta(weeks=6)  # the default
    form.attendees.add_row({"name": "山田 花子", "role": "担任"})
    form.attendees.add_row({"name": "佐藤 一郎", "role": "SC"})
    form.grid.entries["child_wish"].setPlainText("教室以外の場所なら行ける。")
    form.grid.entries["strengths"].setPlainText("絵が得意。弟の面倒をよく見る。")
    form.action_rows.add_row({"what": "別室登校の場所を用意する", "owner": "教頭",
                              "due": "2025-09-20", "status": "未着手"})
    click(qtbot, tab.save_button)
    _saved(qtbot, view)
    assert len(view.detail.meetings) == 1
    meeting = view.detail.meetings[0]
    assert [a.role.value for a in meeting.attendees] == ["担任", "SC"]
    assert meeting.actions[0].due == date(2025, 9, 20)

    printer = cases._printer  # the shell's one print flow
    assert printer is not None and cases.print_button.isVisible()
    with qtbot.waitSignal(printer.purpose_asked, timeout=WAIT_MS) as asked:
        cases.print_page()  # Ctrl+P: the meeting's record sheet, through purpose and preview
    purpose_dialog = asked.args[0]
    assert "「児童生徒理解・支援シート」を印刷します" in " ".join(visible_texts(purpose_dialog))
    purpose_dialog.reject()
    qtbot.waitUntil(lambda: not printer.busy, timeout=WAIT_MS)

    schedule = window.show_page("支援の予定")  # the review and the action, overdue by now
    assert isinstance(schedule, SchedulePage)
    qtbot.waitUntil(lambda: schedule.plan is not None and not schedule.task.running,
                    timeout=WAIT_MS)
    ours = [x for x in schedule.model.lines if x.case_key == view.key]
    assert [(x.what, x.due, x.overdue) for x in ours] == [
        ("支援", date(2025, 9, 20), True), ("見直し", date(2025, 10, 13), True)]
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS):
        schedule.table.selectRow(schedule.model.lines.index(ours[1]))
        click(qtbot, schedule.open_button)
    assert window.pages.currentWidget() is cases

    view.tabs.setCurrentWidget(tab)  # the action moves on; the history keeps it
    click(qtbot, tab.status_button)
    dialog = view.dialog
    assert dialog is not None
    dialog.status_combo.setCurrentIndex(dialog.status_combo.findData("done"))
    click(qtbot, dialog.ok_button)
    _saved(qtbot, view)
    assert view.detail.meetings[0].actions[0].status.label == "完了"

    view.tabs.setCurrentIndex(3)  # 見直し: the evidence since the meeting beside the form
    qtbot.waitUntil(lambda: not view.evidence_task.running, timeout=WAIT_MS)
    assert any("欠席日数" in t for t in visible_texts(view.evidence_panel))
    click(qtbot, view.review_save)  # 実施したか・効果があったか are required
    assert "実施したか" in view.status_line.text()
    assert not view.detail.meetings[0].review
    view.review_form.done.buttons["partly"].setChecked(True)
    view.review_form.worked.buttons["unclear"].setChecked(True)
    view.review_form.comment.setPlainText("別室には週3日来ている。")
    click(qtbot, view.review_save)  # and for each action of the meeting, both again
    assert "別室登校の場所を用意する" in view.status_line.text()
    assert not view.detail.meetings[0].review
    [row] = view.review_form.outcome_rows
    row.done.setCurrentIndex(row.done.findData("done"))
    row.worked.setCurrentIndex(row.worked.findData("partly"))
    row.note.setText("空き教室を使っている")
    click(qtbot, view.review_save)
    _saved(qtbot, view)
    review = view.detail.meetings[0].review
    assert review is not None and review.done.label == "一部実施できた"
    assert [(o.done.label, o.worked.label, o.note) for o in review.outcomes] == [
        ("実施できた", "一部効果があった", "空き教室を使っている")]
    assert any("別室登校の場所を用意する: 実施できた・一部効果があった" in label.text()
               for label in view.findChildren(QLabel))  # in これまでの見直し

    view.tabs.setCurrentIndex(0)
    view.common_form.grid.entries["profile"].setPlainText("絵を描くことが得意。朝が苦手。"
                                                          "友人が1人いる。")
    click(qtbot, view.common_save)
    _saved(qtbot, view)
    with qtbot.waitSignal(view.history_loaded, timeout=WAIT_MS):
        view.tabs.setCurrentWidget(view.history_tab)
    entries = view.history_tab.model.lines
    profile = [e for e in entries if e.field == "profile"]
    assert profile[0].new == "絵を描くことが得意。朝が苦手。友人が1人いる。"
    assert profile[0].old == "絵を描くことが得意。朝が苦手。"
    assert view.history_tab.model.cells(profile[0])[0].startswith("令和")  # wareki style
    login_words = login.split("-")  # 「氏名（demo-truancy）」 names the staff member
    assert not english_words(visible_texts(view), allowed=("SC", "SSW", *login_words))


def test_a_draft_survives_the_idle_lock_and_comes_back_with_a_notice(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed,
    wall_clock: WallClock
) -> None:
    shell = _shell(make_shell, tmp_path, listed, idle_limit=timedelta(minutes=10))
    window = sign_in(qtbot, shell, "demo-truancy")
    view = _case_from_alert(qtbot, window, listed[1])
    keeper = view.keepers["common"]
    view.common_form.grid.entries["family"].setPlainText("母と弟の3人暮らし。")
    assert keeper.dirty
    with qtbot.waitSignal(keeper.saved, timeout=WAIT_MS):  # the autosave, seconds later
        pass
    wall_clock.advance(minutes=11)
    with qtbot.waitSignal(shell.locked, timeout=WAIT_MS):
        shell.check_session()
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        shell.sign_out()  # from the lock screen: the window and its forms are gone

    window = sign_in(qtbot, shell, "demo-truancy")
    view = _case_from_alert(qtbot, window, listed[1])
    assert view.common_form.payload()["family"] == "母と弟の3人暮らし。"
    assert view.draft_notice.isVisible()
    assert "下書き" in view.draft_label.text() and "共通シート" in view.draft_label.text()
    assert view.detail.common.family == ""  # a draft, not a saved record
    click(qtbot, view.common_save)
    _saved(qtbot, view)
    assert view.detail.common.family == "母と弟の3人暮らし。"
    assert not view.draft_notice.isVisible()


def test_a_restricted_note_opens_only_on_the_deliberate_action_with_a_reason(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed
) -> None:
    shell = _shell(make_shell, tmp_path, listed)
    window = sign_in(qtbot, shell, "demo-truancy")
    signed = shell.signed
    assert signed is not None
    case = signed.cases.open_case(listed[2], CaseDomain.TRUANCY, title="家庭の状況の確認")
    signed.cases.add_note(case.key, NoteKind.CHILD_PROTECTION, SECRET)
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    window.show_page("支援ケース")
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        cases.open_case(case.key)
    view = opened.args[0]
    view.tabs.setCurrentWidget(view.notes_tab)
    card = view.notes_tab.cards[0]
    line = card.findChildren(QLabel)[0].text()
    assert line.startswith("制限付きのメモ（児童虐待・要保護）あり — 令和")
    assert all(SECRET not in t for t in visible_texts(window))

    def opened_entries() -> int:
        return len(signed.store.db.call(
            lambda c: audit_repo.query(c, action="case_note_open")))

    assert opened_entries() == 0
    assert card.open_button is not None and card.open_button.text() == OPEN_TEXT
    click(qtbot, card.open_button)
    dialog = view.notes_tab.dialog
    assert dialog is not None
    click(qtbot, dialog.ok_button)  # no reason: refused in the dialog
    assert dialog.error_label.isVisible() and opened_entries() == 0
    dialog.reason_combo.setEditText("ケース会議の準備のため")
    with qtbot.waitSignal(view.note_opened, timeout=WAIT_MS):
        click(qtbot, dialog.ok_button)
    assert card.text_label.isVisible() and card.text_label.text() == SECRET
    assert opened_entries() == 1


def test_only_roles_that_see_a_case_domain_get_the_case_pages_and_viewers_read_only(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed
) -> None:
    shell = _shell(make_shell, tmp_path, listed)
    window = sign_in(qtbot, shell, "demo-liaison")  # basic + other departments: no cases
    assert "支援ケース" not in window.page_titles()
    assert "支援の予定" not in window.page_titles()
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        shell.sign_out()

    window = sign_in(qtbot, shell, "demo-lead")
    assert shell.signed is not None
    key = shell.signed.cases.open_case(listed[2], CaseDomain.TRUANCY, title="閲覧の確認").key
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        shell.sign_out()
    window = sign_in(qtbot, shell, "demo-director")  # view, every domain, no case_edit
    assert "支援ケース" in window.page_titles()
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    window.show_page("支援ケース")
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        cases.open_case(key)
    view = opened.args[0]
    assert not view.may_edit
    assert not view.common_save.isVisible()
    assert view.common_form.grid.entries["profile"].isReadOnly()
    assert not view.meetings_tab.new_button.isVisible()
    assert not view.notes_tab.form.isVisible()


def test_the_karte_and_the_search_results_lead_to_the_pupils_case(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed
) -> None:
    shell = _shell(make_shell, tmp_path, listed)
    window = sign_in(qtbot, shell, "demo-truancy")
    assert shell.signed is not None
    key = shell.signed.cases.open_case(listed[2], CaseDomain.TRUANCY, title="登校の支援").key
    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage)
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS) as shown:
        karte.open_pupil(listed[2])
    section = shown.args[0].case_section
    assert isinstance(section, KarteCasesSection)
    qtbot.waitUntil(lambda: section.cases is not None, timeout=WAIT_MS)
    assert section.cases is not None and [c.key for c in section.cases.cases] == [key]
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        click(qtbot, section.open_buttons[key])
    assert opened.args[0].key == key

    search = window.show_page("児童生徒検索")
    assert isinstance(search, SearchPage)
    actions = [a for a in search.table.actions() if a.text() == "ケースを開く"]
    assert len(actions) == 1  # the results' context menu
    other = shell.signed.store.db.call(lambda c: c.execute(
        "SELECT pupil_id FROM ds_enrollments WHERE pupil_id != ? AND school_year ="
        " (SELECT max(school_year) FROM ds_enrollments) LIMIT 1", (listed[2],)).fetchone()[0])
    window.show_page("支援ケース")
    cases.open_search_result(int(other))  # no case yet: the chooser offers a new one
    qtbot.waitUntil(lambda: cases.stack.currentWidget() is cases.chooser
                    and not cases.task.running, timeout=WAIT_MS)
    chooser = cases.chooser
    assert chooser.new_button.isVisible() and chooser.domain_combo.currentText() == "不登校"
    name = shell.signed.karte.open(int(other)).header.name
    assert name and name in chooser.title.text()  # the chooser says whose cases these are
    click(qtbot, chooser.new_button)  # nothing is made until a 件名 is given
    dialog = cases.new_case_dialog
    assert dialog.isVisible() and name in (dialog.intro_label.text() if dialog.intro_label
                                           else "")
    click(qtbot, dialog.ok_button)
    assert dialog.error_label.text() == "件名を入力してください。"
    assert not shell.signed.cases.cases_for_pupil(int(other)).cases
    dialog.title_edit.setText("登校しぶりへの支援")
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        click(qtbot, dialog.ok_button)
    made = opened.args[0].detail.summary
    assert made.pupil_id == int(other) and made.source.label == "検索結果"
    assert made.title == "登校しぶりへの支援"
