"""One support case on screen: the head, then 共通シート / 学年別シート / ケース会議記録 / 見直し /
変更履歴 / メモ as tabs.

Every form autosaves a draft a few seconds after the last edit (``DraftKeeper``); a draft
left from an earlier session is put back into its form when the case is opened, with a
notice saying so. 保存 writes the record (the service keeps each changed field in the
history) and then throws the draft away. Roles without ``case_edit`` see every form
read-only, without the save buttons. All reading and writing runs on the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import (
    CaseDetail,
    CommonSheet,
    Done,
    Draft,
    Meeting,
    NoteKind,
    NoteSummary,
    RecordStatus,
    ReviewInput,
    Worked,
    YearSheetInput,
)
from toda_desktop.formatting import class_label, format_date, format_datetime, format_school_year
from ui import style
from ui.background import BackgroundRunner, alive
from ui.cases.action_dialog import ActionStatusDialog, AddActionDialog
from ui.cases.drafts import DraftKeeper, Payload
from ui.cases.forms import CommonSheetForm, YearSheetForm, meeting_input
from ui.cases.header import CaseHeader
from ui.cases.history_tab import HistoryTab
from ui.cases.meetings_tab import NEW, MeetingsTab
from ui.cases.notes_tab import NotesTab
from ui.cases.review_tab import EvidencePanel, ReviewForm
from ui.cases.widgets import muted, sheet_title
from ui.cases.withdraw_dialog import WithdrawDialog
from ui.dialogs import FormDialog
from ui.page_header import StatusLine
from ui.page_task import PageTask

if TYPE_CHECKING:
    from toda_desktop.cases.service import CaseService

TAB_TITLES = ("共通シート", "学年別シート", "ケース会議記録", "見直し", "変更履歴", "メモ")
FORM_LABELS = {"common": "共通シート", "year": "学年別シート", "meeting": "ケース会議記録",
               "review": "見直し", "note": "メモ"}


def scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


def school_year_of(day: date) -> int:
    """The Japanese school year (April to March) a day belongs to."""
    return day.year if day.month >= 4 else day.year - 1


class CaseView(QWidget):
    """One case; ``changed`` after each save (the karte and 支援の予定 read again)."""

    changed = Signal()
    loaded = Signal()  # the case (and any drafts) are shown
    history_loaded = Signal()
    evidence_loaded = Signal()
    note_opened = Signal(int)

    def __init__(self, detail: CaseDetail, service: CaseService, runner: BackgroundRunner,
                 date_style: DateStyle, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.key = detail.summary.key
        self._service = service
        self._runner = runner
        self._style = date_style
        self._today = today
        self.may_edit = detail.may_edit
        self.restored: list[str] = []  # the forms whose drafts were put back
        self._evidence_wanted: int | None = None  # read when the 見直し tab is shown
        self.dialog: FormDialog | None = None  # the one open (tests drive it)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(8)
        self.header = CaseHeader(detail.summary, date_style)
        layout.addWidget(self.header)
        self.draft_notice = QWidget()
        notice_row = QHBoxLayout(self.draft_notice)
        notice_row.setContentsMargins(0, 0, 0, 0)
        self.draft_label = QLabel("")
        self.draft_label.setWordWrap(True)
        self.draft_label.setStyleSheet(style.NOTICE_TEXT)
        notice_row.addWidget(self.draft_label, 1)
        self.discard_button = QPushButton("下書きを破棄する")
        self.discard_button.setToolTip("復元した下書きを捨てて、保存済みの内容に戻します")
        self.discard_button.clicked.connect(self.discard_restored)
        notice_row.addWidget(self.discard_button)
        self.draft_notice.hide()
        layout.addWidget(self.draft_notice)
        if not self.may_edit:
            layout.addWidget(muted("このケースは閲覧のみです（記録の入力・修正には「ケースの"
                                   "記録」の権限が必要です）。"))
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("ケースの内容")
        layout.addWidget(self.tabs, 1)
        self.task = PageTask(self, runner, "ケースを保存しています…", status=self.status_line,
                             writes=True)
        self.read_task = PageTask(self, runner, "読み込んでいます…", status=self.status_line,
                                  progress_dialog=False)
        self.evidence_task = PageTask(self, runner, "データを読み込んでいます…",
                                      progress_dialog=False)
        self._build_common()
        self._build_years()
        self._build_meetings()
        self._build_review()
        self.history_tab = HistoryTab(date_style)
        self.tabs.addTab(self.history_tab, "変更履歴")
        self.notes_tab = NotesTab(date_style, self.open_note)
        self.notes_tab.set_read_only(not self.may_edit)
        self.notes_tab.add_requested.connect(self.add_note)
        self.notes_tab.withdraw_requested.connect(self.ask_withdraw_note)
        self.tabs.addTab(self.notes_tab, "メモ")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.keepers: dict[str, DraftKeeper] = {}
        self._keep("common", self.common_form.payload, self.common_form.edited)
        self._keep("year", self.year_form.payload, self.year_form.edited,
                   key=lambda: f"year/{self.year_form.school_year}")
        self._keep("meeting", self.meetings_tab.form.payload, self.meetings_tab.form.edited,
                   key=self._meeting_form_key)
        self._keep("review", self.review_form.payload, self.review_form.edited)
        self._keep("note", self.notes_tab.payload, self.notes_tab.edited)
        self.show_detail(detail)

    # -- building --------------------------------------------------------------------------

    def _save_row(self, text: str, save: Callable[[], None]) -> tuple[QHBoxLayout, QPushButton,
                                                                         QLabel]:
        row = QHBoxLayout()
        saved = QLabel("")
        saved.setStyleSheet(style.MUTED)
        row.addWidget(saved, 1)
        button = QPushButton(text)
        button.clicked.connect(save)
        button.setVisible(self.may_edit)
        row.addWidget(button)
        return row, button, saved

    def _build_common(self) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 12, 12, 12)
        self.common_form = CommonSheetForm()
        self.common_form.set_read_only(not self.may_edit)
        layout.addWidget(self.common_form)
        row, self.common_save, self.common_saved = self._save_row("共通シートを保存",
                                                                  self.save_common)
        layout.addLayout(row)
        layout.addStretch(1)
        self.tabs.addTab(scrolled(box), "共通シート")

    def _build_years(self) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 12, 12, 12)
        top = QHBoxLayout()
        top.addWidget(QLabel("年度:"))
        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName("年度")
        self.year_combo.setMinimumWidth(160)
        self.year_combo.activated.connect(self._year_chosen)
        top.addWidget(self.year_combo)
        self.year_note = muted("", wrap=False)
        top.addWidget(self.year_note)
        top.addStretch(1)
        layout.addLayout(top)
        self.year_form = YearSheetForm()
        self.year_form.set_read_only(not self.may_edit)
        layout.addWidget(self.year_form)
        row, self.year_save, self.year_saved = self._save_row("学年別シートを保存",
                                                              self.save_year)
        layout.addLayout(row)
        layout.addStretch(1)
        self.tabs.addTab(scrolled(box), "学年別シート")

    def _build_meetings(self) -> None:
        self.meetings_tab = MeetingsTab(self._style, self._today, may_edit=self.may_edit)
        self.meetings_tab.save_requested.connect(self.save_meeting)
        self.meetings_tab.status_requested.connect(self.ask_action_status)
        self.meetings_tab.add_action_requested.connect(self.ask_add_action)
        self.meetings_tab.withdraw_requested.connect(self.ask_withdraw_meeting)
        self.tabs.addTab(self.meetings_tab, "ケース会議記録")

    def _build_review(self) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 12, 12, 12)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        self.review_form = ReviewForm(self._style, self._today)
        self.review_form.meeting_chosen.connect(self.load_evidence)
        self.review_form.reviewed_on.edited.connect(self._review_day_changed)
        left_layout.addWidget(self.review_form)
        row, self.review_save, self.review_saved = self._save_row("見直しを記録する",
                                                                  self.save_review)
        left_layout.addLayout(row)
        self.review_form.setVisible(self.may_edit)
        self.review_save.setVisible(self.may_edit)
        self.reviews_box = QVBoxLayout()
        left_layout.addWidget(sheet_title("これまでの見直し"))
        left_layout.addLayout(self.reviews_box)
        left_layout.addStretch(1)
        splitter.addWidget(scrolled(left))
        self.evidence_panel = EvidencePanel(self._style)
        splitter.addWidget(scrolled(self.evidence_panel))
        splitter.setSizes([680, 460])
        layout.addWidget(splitter, 1)
        self.tabs.addTab(box, "見直し")

    # -- showing ---------------------------------------------------------------------------

    def show_detail(self, detail: CaseDetail) -> None:
        self.detail = detail
        self.header.show_summary(detail.summary)
        self.common_form.set_payload({"profile": detail.common.profile,
                                      "family": detail.common.family,
                                      "support_history": detail.common.support_history})
        self._fill_years()
        self.meetings_tab.show_meetings(detail.meetings)
        open_reviews = [m for m in detail.meetings
                        if m.review is None and m.status is RecordStatus.RECORDED]
        self.review_form.set_meetings(open_reviews)
        self.review_save.setEnabled(bool(open_reviews))
        self._show_reviews(detail.meetings)
        self.notes_tab.show_notes(detail.notes)
        for keeper in getattr(self, "keepers", {}).values():
            keeper.forget()  # what is shown is saved

    def _fill_years(self, select: int | None = None) -> None:
        years = sorted({y.school_year for y in self.detail.years}
                       | {school_year_of(self._today)}, reverse=True)
        current = select if select is not None else self.year_form.school_year
        self.year_combo.clear()
        for year in years:
            exists = any(y.school_year == year for y in self.detail.years)
            self.year_combo.addItem(format_school_year(year, self._style)
                                    + ("" if exists else "（未記入）"), year)
        index = self.year_combo.findData(current if current in years else years[0])
        self.year_combo.setCurrentIndex(max(index, 0))
        self._year_chosen(self.year_combo.currentIndex())

    def _year_chosen(self, index: int) -> None:
        year = self.year_combo.itemData(index)
        if year is None:
            return
        sheet = next((y for y in self.detail.years if y.school_year == year), None)
        if sheet is None:
            # Filled from the enrollment of that year only: a new year's sheet is not given
            # last year's class.
            s = self.detail.summary
            known = s.placement_year == year
            self.year_form.set_payload({
                "school_year": year, "school_name": s.school_name if known else "",
                "grade": class_label(s.grade, s.class_name) if known else ""})
            self.year_note.setText("この年度のシートはまだありません。"
                                   + ("入力して保存すると作成します。" if self.may_edit else ""))
        else:
            self.year_form.set_payload({"school_year": year, **{
                k: getattr(sheet, k) for k in ("school_name", "grade", "homeroom_teacher",
                                               "situation", "goal", "plan", "evaluation")}})
            self.year_note.setText(f"作成: {format_datetime(sheet.created_at, self._style)}"
                                   f"　{sheet.created_by}")
        keeper = getattr(self, "keepers", {}).get("year")
        if keeper is not None:
            keeper.forget()

    def _show_reviews(self, meetings: Sequence[Meeting]) -> None:
        while self.reviews_box.count():
            item = self.reviews_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        done = [m for m in meetings if m.review is not None]
        if not done:
            self.reviews_box.addWidget(muted("まだ見直しの記録はありません。"))
        for m in sorted(done, key=lambda m: m.held_on, reverse=True):
            r = m.review
            assert r is not None
            whats = {a.id: a.what for a in m.actions}
            per_action = "".join(
                f"<br>・{escape(whats.get(o.action_id, '（支援）'))}: {o.done.label}・"
                f"{o.worked.label}" + (f"（{escape(o.note)}）" if o.note else "")
                for o in r.outcomes)
            text = (f"<b>{format_date(r.reviewed_on, self._style)}</b>　"
                    f"（{format_date(m.held_on, self._style)}の{m.meeting_type}）<br>"
                    f"実施したか: <b>{r.done.label}</b>　効果があったか: <b>{r.worked.label}</b>"
                    f"{per_action}<br>{escape(r.comment)}"
                    f"<br><span style='color:{style.MUTED_COLOR}'>"
                    f"記録: {r.created_by}</span>")
            label = QLabel(text)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setStyleSheet("background: white; border: 1px solid #c5cfd9;"
                                " border-radius: 4px; padding: 8px;")
            self.reviews_box.addWidget(label)

    def _tab_changed(self, index: int) -> None:
        title = self.tabs.tabText(index)
        if title == "変更履歴":
            self.load_history()
        elif title == "見直し" and self._evidence_wanted is not None:
            self.load_evidence(self._evidence_wanted)

    # -- drafts ----------------------------------------------------------------------------

    def _meeting_form_key(self) -> str:
        editing = self.meetings_tab.editing
        return "meeting/new" if editing in (None, NEW) else f"meeting/{editing}"

    def _keep(self, name: str, collect: Callable[[], Payload], edited: Any,
              key: Callable[[], str] | None = None) -> None:
        service, domain, case = self._service, self.detail.summary.domain, self.key
        form_key = key or (lambda: name)

        def save(payload: Payload) -> None:
            service.save_draft(domain, f"{case}/{payload['_form']}", payload, case=case)

        keeper = DraftKeeper(self._runner, lambda: {"_form": form_key(), **collect()}, save,
                             self)
        keeper.enabled = self.may_edit
        if name == "meeting":  # only while a record is being written or changed
            def meeting_edited() -> None:
                if self.meetings_tab.editing is not None:
                    keeper.edited()

            edited.connect(meeting_edited)
        else:
            edited.connect(keeper.edited)
        label = {"common": self.common_saved, "year": self.year_saved,
                 "review": self.review_saved}.get(name)
        keeper.saved.connect(lambda _at: self._draft_saved(label))
        keeper.failed.connect(lambda message: self.status_line.show_message(
            f"下書きを保存できませんでした（入力した内容は画面に残っています）: {message}",
            error=True))
        self.keepers[name] = keeper

    def _draft_saved(self, label: QLabel | None) -> None:
        text = "入力中の内容を下書きとして自動保存しました。"
        if label is not None:
            label.setText(text)
        else:
            self.status_line.show_message(text, notice=True)

    def flush_drafts(self) -> None:
        """Save every unsaved edit now (after an unlock, before closing)."""
        for keeper in self.keepers.values():
            keeper.flush()

    @property
    def unsaved(self) -> bool:
        return any(k.dirty for k in self.keepers.values())

    def restore_drafts(self, drafts: Sequence[Draft]) -> None:
        """Put the user's drafts of this case back into their forms, and say so."""
        mine = [d for d in drafts if d.case_key == self.key]
        restored: list[str] = []
        for draft in sorted(mine, key=lambda d: d.saved_at):
            payload = dict(draft.payload)
            form = str(payload.pop("_form", ""))
            name = form.split("/")[0]
            if name == "common":
                self.common_form.set_payload(payload)
            elif name == "year":
                year = payload.get("school_year")
                if isinstance(year, int):
                    index = self.year_combo.findData(year)
                    if index < 0:
                        self.year_combo.addItem(format_school_year(year, self._style), year)
                        index = self.year_combo.count() - 1
                    self.year_combo.setCurrentIndex(index)
                    self.year_form.set_payload(payload)
            elif name == "meeting":
                if form == "meeting/new":
                    self.meetings_tab.start_new(payload)
                else:
                    meeting_id = int(form.split("/")[1])
                    row = next((n for n, m in enumerate(self.meetings_tab.meetings)
                                if m.id == meeting_id), None)
                    if row is None:
                        continue
                    self.meetings_tab.list.setCurrentRow(row)
                    self.meetings_tab.start_change(payload)
            elif name == "review":
                self.review_form.set_payload(payload)
            elif name == "note":
                self.notes_tab.set_payload(payload)
            else:
                continue
            restored.append(f"{FORM_LABELS[name]}（{format_datetime(draft.saved_at, self._style)}"
                            "）")
            self.keepers[name].edited()  # still unsaved: kept as a draft until saved
            self.keepers[name].timer.stop()
        self.restored = [r for r in restored]
        if restored:
            self.draft_label.setText(
                "保存していない入力（下書き）を復元しました: " + "、".join(restored)
                + "。内容を確かめてから、各シートの「保存」を押してください。")
            self.draft_notice.show()
            first = restored[0].split("（")[0]
            for index in range(self.tabs.count()):
                if self.tabs.tabText(index) == first:
                    self.tabs.setCurrentIndex(index)
        self.loaded.emit()

    def discard_restored(self) -> None:
        """Throw the restored drafts away and show what is saved."""
        service, domain, case = self._service, self.detail.summary.domain, self.key

        def discard(_ctx: object) -> CaseDetail:
            for draft in service.drafts():
                if draft.case_key == case:
                    service.discard_draft(domain, draft.form_key)
            return service.read_case(case)

        def done(detail: CaseDetail) -> None:
            self.meetings_tab.editing = None
            self.show_detail(detail)
            self.draft_notice.hide()
            self.restored = []
            self.status_line.show_message("下書きを破棄しました。保存済みの内容を表示しています。")

        self.task.run(discard, done)

    def _discard(self, form_key: str) -> None:
        """After a save: the form's draft is no longer needed (on the worker)."""
        self._service.discard_draft(self.detail.summary.domain, f"{self.key}/{form_key}")

    # -- saving ----------------------------------------------------------------------------

    def _run_save(self, name: str, form_key: str, write: Callable[[], Any], message: str,
                  then: Callable[[CaseDetail], None] | None = None) -> None:
        service, key = self._service, self.key
        keeper = self.keepers[name]
        keeper.timer.stop()

        def task(_ctx: object) -> CaseDetail:
            write()
            self._discard(form_key)
            return service.read_case(key)

        def done(detail: CaseDetail) -> None:
            keeper.forget()
            if then is not None:
                then(detail)
            else:
                self.show_detail(detail)
            self.status_line.show_message(message)
            if not any(k.dirty for k in self.keepers.values()):
                self.draft_notice.hide()
            self.changed.emit()
            if self.tabs.tabText(self.tabs.currentIndex()) == "変更履歴":
                self.load_history()

        self.task.run(task, done)

    def save_common(self) -> None:
        p = self.common_form.payload()
        common = CommonSheet(p["profile"], p["family"], p["support_history"])
        service, key = self._service, self.key
        self._run_save("common", "common", lambda: service.update_common(key, common),
                       "共通シートを保存しました。変更した項目は変更履歴に残ります。")

    def save_year(self) -> None:
        p = self.year_form.payload()
        year = p.pop("school_year")
        sheet = YearSheetInput(school_year=int(year), **{k: str(v) for k, v in p.items()})
        service, key = self._service, self.key

        def then(detail: CaseDetail) -> None:
            self.detail = detail
            self._fill_years(select=int(year))

        written = format_school_year(int(year), self._style)
        self._run_save("year", f"year/{year}", lambda: service.save_year_sheet(key, sheet),
                       f"{written}の学年別シートを保存しました。", then)

    def save_meeting(self, editing: int) -> None:
        form = self.meetings_tab.form
        problem = form.problem()
        if problem is not None:
            self.status_line.show_message(problem, error=True)
            return
        meeting = meeting_input(form.payload())
        service, key = self._service, self.key
        form_key = self._meeting_form_key()
        saved: list[int] = []

        def write() -> None:
            if editing == NEW:
                saved.append(service.add_meeting(key, meeting).id)
            else:
                saved.append(service.update_meeting(
                    key, editing, replace(meeting, actions=())).id)

        def then(detail: CaseDetail) -> None:
            self.meetings_tab.editing = None
            self.show_detail(detail)
            self.meetings_tab.saved(detail.meetings, saved[0])

        review = format_date(meeting.review_date(), self._style)
        self._run_save("meeting", form_key, write,
                       f"会議の記録を保存しました。次回の見直しは{review}です。", then)

    def ask_action_status(self, meeting: Meeting) -> ActionStatusDialog:
        dialog = ActionStatusDialog(meeting.actions, self._style, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda: self._change_action(dialog, meeting.id))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _change_action(self, dialog: ActionStatusDialog, meeting_id: int) -> None:
        action_id, change, reason = dialog.change()
        service, key = self._service, self.key
        dialog.set_busy(True)

        def task(_ctx: object) -> CaseDetail:
            service.update_action(key, action_id, change, reason)
            return service.read_case(key)

        def done(detail: CaseDetail) -> None:
            if alive(dialog):
                dialog.accept()
            self.show_detail(detail)
            self.meetings_tab.saved(detail.meetings, meeting_id)
            self.status_line.show_message(f"支援の状況を「{change.status.label}」にしました。")
            self.changed.emit()

        def failed(message: str) -> None:
            if alive(dialog):
                dialog.set_busy(False)
                dialog.show_error(message)

        self.task.run(task, done, on_user_error=failed)

    def _dialog_task(self, dialog: FormDialog, write: Callable[[], object], message: str,
                     meeting_id: int | None = None) -> None:
        """Run a dialog's change on the worker: the dialog closes when it is written and
        stays open with the service's message when it is refused."""
        service, key = self._service, self.key
        dialog.set_busy(True)

        def task(_ctx: object) -> CaseDetail:
            write()
            return service.read_case(key)

        def done(detail: CaseDetail) -> None:
            if alive(dialog):
                dialog.accept()
            self.show_detail(detail)
            if meeting_id is not None:
                self.meetings_tab.saved(detail.meetings, meeting_id)
            self.status_line.show_message(message)
            self.changed.emit()
            if self.tabs.tabText(self.tabs.currentIndex()) == "変更履歴":
                self.load_history()

        def failed(text: str) -> None:
            if alive(dialog):
                dialog.set_busy(False)
                dialog.show_error(text)

        self.task.run(task, done, on_user_error=failed)

    def _meeting_text(self, meeting: Meeting) -> str:
        return f"{format_date(meeting.held_on, self._style)}の{meeting.meeting_type}"

    def ask_add_action(self, meeting: Meeting) -> AddActionDialog:
        """支援を追加: 内容・担当・期限 of one more action of a saved meeting."""
        default = meeting.next_review or self._today
        dialog = AddActionDialog(self._meeting_text(meeting), self._style, default, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        service, key = self._service, self.key

        def submitted() -> None:
            action = dialog.action_input()
            self._dialog_task(dialog, lambda: service.add_action(key, meeting.id, action),
                              f"支援「{action.what}」を追加しました。変更履歴に残ります。",
                              meeting.id)

        dialog.submitted.connect(submitted)
        self.dialog = dialog
        dialog.open()
        return dialog

    def ask_withdraw_meeting(self, meeting: Meeting) -> WithdrawDialog:
        """取り下げ of a meeting's record: a reason and a confirmation first."""
        open_actions = sum(1 for a in meeting.actions if a.status.open)
        consequence = (f"\nこの会議で決めた支援のうち、未完了の{open_actions}件も一緒に取り下げ"
                       "ます。" if open_actions else "")
        dialog = WithdrawDialog(f"{self._meeting_text(meeting)}の記録", consequence, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        service, key = self._service, self.key

        def submitted() -> None:
            reason = dialog.reason()
            self._dialog_task(dialog, lambda: service.withdraw_meeting(key, meeting.id, reason),
                              "会議の記録を取り下げました。記録は「取り下げ」として残ります。",
                              meeting.id)

        dialog.submitted.connect(submitted)
        self.dialog = dialog
        dialog.open()
        return dialog

    def ask_withdraw_note(self, note: NoteSummary) -> WithdrawDialog:
        """取り下げ of a note (a restricted one is not opened for it)."""
        what = (f"制限付きのメモ（{note.kind.label}、"
                f"{format_date(note.written_on, self._style)}）" if note.restricted
                else f"{format_date(note.written_on, self._style)}のメモ")
        consequence = ("\n内容は開かずに取り下げます。" if note.restricted else "")
        dialog = WithdrawDialog(what, consequence, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        service, key = self._service, self.key

        def submitted() -> None:
            reason = dialog.reason()
            self._dialog_task(dialog, lambda: service.withdraw_note(key, note.id, reason),
                              "メモを取り下げました。メモは「取り下げ」として残ります。")

        dialog.submitted.connect(submitted)
        self.dialog = dialog
        dialog.open()
        return dialog

    def save_review(self) -> None:
        problem = self.review_form.problem()
        if problem is not None:
            self.status_line.show_message(problem, error=True)
            return
        p = self.review_form.payload()
        review = ReviewInput(date.fromisoformat(str(p["reviewed_on"])), Done(p["done"]),
                             Worked(p["worked"]), str(p["comment"]),
                             self.review_form.outcomes())
        service, key, meeting_id = self._service, self.key, int(p["meeting_id"])

        def then(detail: CaseDetail) -> None:
            self.show_detail(detail)
            self.review_form.clear()

        self._run_save("review", "review", lambda: service.record_review(key, meeting_id, review),
                       "見直しを記録しました。", then)

    def add_note(self, kind: str, text: str) -> None:
        service, key = self._service, self.key

        def then(detail: CaseDetail) -> None:
            self.show_detail(detail)
            self.notes_tab.clear_form()

        self._run_save("note", "note", lambda: service.add_note(key, NoteKind(kind), text),
                       "メモを追加しました。", then)

    # -- reading ---------------------------------------------------------------------------

    def load_history(self) -> None:
        service, key = self._service, self.key

        def done(entries: list[Any]) -> None:
            self.history_tab.show_entries(entries)
            self.history_loaded.emit()

        self.read_task.run(lambda _ctx: service.history(key), done)

    def load_evidence(self, meeting_id: int) -> None:
        """What the data shows since the meeting: read when the 見直し tab is in sight."""
        self._evidence_wanted = meeting_id
        if self.tabs.tabText(self.tabs.currentIndex()) != "見直し":
            return
        self._evidence_wanted = None
        service, key = self._service, self.key
        as_of = self.review_form.reviewed_on.day()  # what the data says by the review day
        self.evidence_panel.show_message("データを読み込んでいます…")

        def done(evidence: Any) -> None:
            chosen = self.review_form.meeting()
            if chosen is not None and chosen.id == meeting_id:
                self.evidence_panel.show_evidence(evidence)
                self.evidence_loaded.emit()

        self.evidence_task.run(lambda _ctx: service.evidence(key, meeting_id, as_of), done,
                               on_user_error=self.evidence_panel.show_message)

    def _review_day_changed(self) -> None:
        meeting = self.review_form.meeting()
        if meeting is not None and not self.evidence_task.running:
            self.load_evidence(meeting.id)

    def open_note(self, note_id: int, reason: str) -> None:
        """The deliberate step: read a restricted note with the reason given (logged)."""
        service, key = self._service, self.key

        def done(text: str) -> None:
            self.notes_tab.show_opened(note_id, text)
            self.note_opened.emit(note_id)

        self.read_task.run(lambda _ctx: service.open_note(key, note_id, reason), done)
