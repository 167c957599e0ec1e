"""支援ケース: the opened cases as tabs (like the karte), reached from the karte, an alert
marked 支援開始, an extraction result or a search result.

Opening from a pupil lists the pupil's cases in the domains the role sees: one open case
opens at once; otherwise the user chooses one or, with ``case_edit``, starts a new case in
one of the domains they may change. Roles that do not see a case domain never get this page
(the shell leaves it out), and the service refuses them all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import (
    CaseDetail,
    CaseDomain,
    CaseSource,
    CaseStatus,
    CaseSummary,
    Draft,
    RecordStatus,
)
from toda_desktop.cases.sheet import meeting_sheet, support_sheet
from toda_desktop.formatting import format_date
from ui import style
from ui.background import BackgroundRunner
from ui.cases.header import place_text
from ui.cases.new_case_dialog import NewCaseDialog
from ui.cases.view import CaseView
from ui.cases.widgets import muted
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.table_model import LinesTableModel, make_view

if TYPE_CHECKING:
    from toda_desktop.cases.service import CaseService
    from toda_desktop.risk.service import Alert
    from ui.printing.flow import PrintFlow

TITLE = "支援ケース"
MAX_TABS = 6
EMPTY_TEXT = (
    "児童生徒カルテの「支援ケース」、見守りアラート（支援開始）、検索結果・抽出結果の"
    "右クリックメニュー、または「支援の予定」から、ケースを開いてください。"
)


@dataclass(frozen=True)
class PupilChoice:
    """A pupil's cases as read for the chooser (``only``: the one open case, read)."""

    cases: list[CaseSummary]
    editable: tuple[CaseDomain, ...]
    name: str
    withheld: str
    only: tuple[CaseDetail, list[Draft]] | None


class CasesModel(LinesTableModel[CaseSummary]):
    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(("ケース", "領域", "状態", "件名", "次回の見直し", "会議", "未完了の支援"),
                         parent)
        self._style = date_style

    def cells(self, line: CaseSummary) -> tuple[str, ...]:
        review = format_date(line.next_review, self._style) if line.next_review else "—"
        return (line.label, line.domain.label, line.status.label, line.title or "—", review,
                f"{line.meetings}回", f"{line.open_actions}件")


class PupilChooser(QWidget):
    """The pupil's cases to choose from, and 新しいケースを始める."""

    open_requested = Signal(str)  # case key
    new_requested = Signal(object)  # CaseDomain

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.pupil_name = ""
        self.title = QLabel("")
        self.title.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(self.title)
        self.note = muted("")
        layout.addWidget(self.note)
        self.model = CasesModel(date_style, self)
        self.table = make_view(self.model, "この児童生徒の支援ケース", self,
                               widths=(130, 80, 80, 260, 140, 60))
        self.table.doubleClicked.connect(lambda _i: self._open())
        self.table.setMaximumHeight(320)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.open_button = QPushButton("ケースを開く")
        self.open_button.clicked.connect(self._open)
        row.addWidget(self.open_button)
        row.addSpacing(24)
        self.new_box = QWidget()
        new_row = QHBoxLayout(self.new_box)
        new_row.setContentsMargins(0, 0, 0, 0)
        new_row.addWidget(QLabel("領域:"))
        self.domain_combo = QComboBox()
        self.domain_combo.setAccessibleName("新しいケースの領域")
        new_row.addWidget(self.domain_combo)
        self.new_button = QPushButton("新しいケースを始める")
        self.new_button.clicked.connect(  # (Qt hands the enum back as its plain value)
            lambda: self.new_requested.emit(CaseDomain(self.domain_combo.currentData())))
        new_row.addWidget(self.new_button)
        row.addWidget(self.new_box)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def show_cases(self, name: str, cases: list[CaseSummary],
                   editable: tuple[CaseDomain, ...], withheld: str = "") -> None:
        self.pupil_name = name
        self.title.setText(f"{name} さんの支援ケース" if name else "この児童生徒の支援ケース")
        self.model.set_lines(cases)
        if cases:
            self.table.selectRow(0)
        notes = []
        if not cases:
            notes.append("この児童生徒の支援ケースはまだありません。")
        if editable:
            notes.append("新しく始めるときは、領域を選んで「新しいケースを始める」を押します。")
        if withheld:
            notes.append(withheld)
        self.note.setText("".join(notes))
        self.table.setVisible(bool(cases))
        self.open_button.setVisible(bool(cases))
        self.domain_combo.clear()
        for domain in editable:
            self.domain_combo.addItem(domain.label, domain)
        self.new_box.setVisible(bool(editable))

    def _open(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_requested.emit(self.model.line(rows[0].row()).key)


class CasesPage(QWidget):
    """Opened cases as tabs; ``changed`` after a save (the karte and 支援の予定 refresh)."""

    opened = Signal(object)  # CaseView
    changed = Signal()

    def __init__(self, service: CaseService, runner: BackgroundRunner, date_style: DateStyle,
                 today: Callable[[], date], parent: QWidget | None = None, *,
                 printer: PrintFlow | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._style = date_style
        self._today = today
        self._printer = printer
        self._pupil: tuple[int, CaseSource, str] | None = None  # the chooser's pupil
        self._created = False  # the case being opened was perhaps just made
        self.new_case_dialog: NewCaseDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(6)
        header = PageHeader(TITLE)
        self.print_button = QPushButton("印刷", self)  # parented
        self.print_button.setToolTip("ケース会議の記録シート、または支援シート全体を印刷します"
                                     "（Ctrl+Pは選んでいる会議の記録シート）")
        menu = QMenu(self.print_button)
        self.print_meeting_action = menu.addAction("ケース会議の記録シート…",
                                                   self.print_meeting)
        menu.addAction("児童生徒理解・支援シート（全体）…", self.print_support_sheet)
        self.print_button.setMenu(menu)
        self.print_button.setVisible(printer is not None)
        header.add_action(self.print_button)
        self.refresh_button = header.add_refresh(self.refresh_current)
        layout.addLayout(header)
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)
        self.stack = QStackedWidget()
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(f"{style.MUTED} font-size: 11pt;")
        self.chooser = PupilChooser(date_style)
        self.chooser.open_requested.connect(self.open_case)
        self.chooser.new_requested.connect(self.start_case)
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setAccessibleName("開いているケース")
        self.tabs.tabCloseRequested.connect(self.close_tab)
        for widget in (self.empty_label, self.chooser, self.tabs):
            self.stack.addWidget(widget)
        layout.addWidget(self.stack, 1)
        QShortcut(QKeySequence("Ctrl+W"), self).activated.connect(
            lambda: self.close_tab(self.tabs.currentIndex()))
        self.task = PageTask(self, runner, "ケースを開いています…", status=self.status_line)
        self._update_buttons()

    # -- the views -------------------------------------------------------------------------

    def views(self) -> list[CaseView]:
        found = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [v for v in found if isinstance(v, CaseView)]

    def current_view(self) -> CaseView | None:
        view = self.tabs.currentWidget()
        if self.stack.currentWidget() is not self.tabs:
            return None
        return view if isinstance(view, CaseView) else None

    def _update_buttons(self) -> None:
        view = self.current_view()
        self.refresh_button.setEnabled(view is not None)
        self.print_button.setEnabled(view is not None)
        self.print_meeting_action.setEnabled(view is not None and any(
            m.status is RecordStatus.RECORDED for m in view.detail.meetings))

    def close_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        if not isinstance(view, CaseView):
            return
        view.flush_drafts()  # (its draft is kept for the next opening)
        self.tabs.removeTab(index)
        view.deleteLater()
        if self.tabs.count() == 0:
            self.stack.setCurrentWidget(self.empty_label)
        self._update_buttons()

    def flush_drafts(self) -> None:
        """Save every open form's unsaved edits (the shell calls it after an unlock)."""
        for view in self.views():
            view.flush_drafts()

    # -- opening ---------------------------------------------------------------------------

    def open_case(self, key: str) -> None:
        """Open (or show) a case by its key; drafts of its forms are put back."""
        for view in self.views():
            if view.key == key:
                self.stack.setCurrentWidget(self.tabs)
                self.tabs.setCurrentWidget(view)
                self._update_buttons()
                self.opened.emit(view)
                return
        self._open(lambda: key)

    def _open(self, find: Callable[[], str | None], *, label: str | None = None,
              missing: str = "") -> None:
        """Find the case's key and read it, in one run on the worker (``find`` may create
        the case); ``missing`` is said when ``find`` gives none."""
        service = self._service

        def read(_ctx: object) -> tuple[CaseDetail, list[Draft]] | None:
            key = find()
            if key is None:
                return None
            detail = service.read_case(key)
            drafts = service.drafts() if detail.may_edit else []
            return detail, drafts

        def done(result: tuple[CaseDetail, list[Draft]] | None) -> None:
            if result is None:
                self.stack.setCurrentWidget(self.empty_label)
                self.status_line.show_message(missing, notice=True)
                return
            self._show(result)

        self.status_line.clear_message()
        self.task.run(read, done, label=label)

    def _show(self, result: tuple[CaseDetail, list[Draft]]) -> None:
        detail, drafts = result
        for old in self.views():
            if old.key == detail.summary.key:  # opened meanwhile: show it as it is now
                old.show_detail(detail)
                self.stack.setCurrentWidget(self.tabs)
                self.tabs.setCurrentWidget(old)
                self._update_buttons()
                self.opened.emit(old)
                return
        view = CaseView(detail, self._service, self._runner, self._style, self._today())
        view.changed.connect(self.changed)
        view.changed.connect(self._update_buttons)
        while self.tabs.count() >= MAX_TABS:
            self.close_tab(0)
        s = detail.summary
        self.tabs.addTab(view, f"{s.pupil_name or s.label}（{s.domain.label}）")
        self.tabs.setTabToolTip(self.tabs.indexOf(view), f"{s.label}　{place_text(s, self._style)}")
        self.tabs.setCurrentWidget(view)
        self.stack.setCurrentWidget(self.tabs)
        view.restore_drafts(drafts)
        self._update_buttons()
        if self._created:
            self._created = False
            self.changed.emit()
        self.opened.emit(view)

    def open_pupil(self, pupil_id: int, source: CaseSource = CaseSource.MANUAL,
                   source_ref: str = "") -> None:
        """The pupil's cases: the one open case at once, else the list to choose from."""
        service = self._service
        self._pupil = (pupil_id, source, source_ref)

        def read(_ctx: object) -> PupilChoice:
            found = service.cases_for_pupil(pupil_id)
            cases = list(found.cases)
            only = None
            if len(cases) == 1 and cases[0].status is CaseStatus.OPEN:  # opened at once
                detail = service.read_case(cases[0].key)
                only = detail, service.drafts() if detail.may_edit else []
            name = found.pupil_name
            return PupilChoice(cases, service.domains(editable=True), name, found.withheld,
                               only)

        def done(choice: PupilChoice) -> None:
            if choice.only is not None:
                self._show(choice.only)
                return
            cases = choice.cases
            have = {c.domain for c in cases if c.status is CaseStatus.OPEN}
            self.chooser.show_cases(choice.name, cases,
                                    tuple(d for d in choice.editable if d not in have),
                                    choice.withheld)
            self.stack.setCurrentWidget(self.chooser)
            self._update_buttons()

        self.status_line.clear_message()
        self.task.run(read, done)

    def open_search_result(self, pupil_id: int) -> None:
        self.open_pupil(pupil_id, CaseSource.SEARCH, "児童生徒検索")

    def open_extraction_result(self, pupil_id: int) -> None:
        self.open_pupil(pupil_id, CaseSource.EXTRACTION, "抽出結果")

    def start_case(self, domain: CaseDomain) -> NewCaseDialog | None:
        """Ask for the 件名 first (a case is a lasting record), then make and open it."""
        if self._pupil is None:
            return None
        pupil_id, source, ref = self._pupil
        service = self._service
        dialog = NewCaseDialog(self.chooser.pupil_name, domain, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def submitted() -> None:
            title = dialog.title()
            dialog.accept()

            def create() -> str:
                return service.open_case(pupil_id, domain, title=title, source=source,
                                         source_ref=ref).key

            self._open(create, label="ケースを作成しています…")
            self._created = True

        dialog.submitted.connect(submitted)
        self.new_case_dialog = dialog
        dialog.open()
        return dialog

    def open_for_alert(self, alert: Alert) -> None:
        """The case of an alert marked 支援開始: the one linked to it (or the pupil's open
        不登校 case), else a new one with the alert as its source (roles with case_edit)."""
        service = self._service

        def find() -> str | None:
            create = service.may_edit() and CaseDomain.TRUANCY in service.domains(editable=True)
            found = service.case_for_alert(alert.id, create=create)
            return found.key if found is not None else None

        self._created = True  # (perhaps: the karte and 支援の予定 read again)
        self._open(find, missing="このアラートの支援ケースはまだ作成されていません（作成には"
                                 "「ケースの記録」の権限が必要です）。")

    def refresh_current(self) -> None:
        view = self.current_view()
        if view is None:
            return
        view.flush_drafts()
        service, key = self._service, view.key

        def done(detail: CaseDetail) -> None:
            if view in self.views():
                view.show_detail(detail)
                self._update_buttons()

        self.task.run(lambda _ctx: service.read_case(key), done,
                      label="ケースを読み込み直しています…")

    # -- printing --------------------------------------------------------------------------

    def print_page(self) -> None:
        """Ctrl+P: the chosen meeting's record sheet (the whole support sheet while the
        case has no meeting), through the print flow (purpose, preview, watermark, log)."""
        view = self.current_view()
        if view is None:
            return
        recorded = [m for m in view.detail.meetings if m.status is RecordStatus.RECORDED]
        if recorded:
            self.print_meeting()
        else:
            self.print_support_sheet()

    def print_meeting(self) -> None:
        """ケース会議・検討会等記録シート of the meeting chosen in ケース会議記録 (else the
        latest)."""
        view, printer = self.current_view(), self._printer
        if printer is None or view is None:
            return
        recorded = [m for m in view.detail.meetings if m.status is RecordStatus.RECORDED]
        if not recorded:
            return
        chosen = view.meetings_tab.current_meeting()
        if chosen is None or chosen.status is not RecordStatus.RECORDED:
            chosen = max(recorded, key=lambda m: (m.held_on, m.id))
        detail, meeting_id, date_style = view.detail, chosen.id, self._style
        printer.print_document(lambda: meeting_sheet(detail, meeting_id, date_style))

    def print_support_sheet(self) -> None:
        """児童生徒理解・支援シート: 共通シート, 学年別シート and the meetings held."""
        view, printer = self.current_view(), self._printer
        if printer is None or view is None:
            return
        detail, date_style = view.detail, self._style
        printer.print_document(lambda: support_sheet(detail, date_style))
