"""研究用データの作成: choose a project, a purpose, years and variables; see what
pseudonymisation, k-anonymity and cell suppression did; then write into a folder.

Everything runs off the GUI thread (``PageTask``): loading the choices, building the extract
(with progress and 中止) and writing it. Nothing is written until the summary has been shown
and the user picks a folder; changing any choice afterwards asks for a new check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.staff import staff_label
from ui import style
from ui.background import BackgroundRunner, TaskContext, alive
from ui.dialogs import confirm
from ui.page_header import ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.research.choices import VariableTree, YearChoice
from ui.research.project_dialog import ProjectDialog

if TYPE_CHECKING:
    from toda_desktop.research.service import (
        ExtractSummary,
        PreparedExtract,
        Project,
        ResearchService,
        WrittenExtract,
    )

TITLE = "研究用データの作成"
INTRO = ("児童生徒を研究プロジェクト専用の仮名IDに置き換え、学校・学年・性別・生年月を"
         "10人未満の組み合わせがなくなるまで一般化した研究用データ（Parquet・CSV・データ辞書）"
         "を作ります。氏名・生年月日・宛名番号などの ID と自由記述は含みません。"
         "仮名加工情報として、利用目的と承認者が監査ログに記録されます。")


def summary_text(s: ExtractSummary) -> str:
    """The disclosure summary shown before anything is written."""
    rows = "、".join(f"{label} {n:,}行" for label, n in s.rows.items()) or "なし"
    return (
        "確認の結果（まだファイルは作成していません）\n"
        f"対象の児童生徒・年度 {s.population:,}件のうち {s.published:,}件を出力します。\n"
        f"k-匿名性（k = {s.k}）: 一般化の段階 {s.step}「{s.step_label}」で、"
        f"どの組み合わせも {s.smallest:,}人以上（{s.classes:,}通り）。"
        f"k 未満のため除外: {s.withheld:,}件。\n"
        f"集計表のセル秘匿: 一次秘匿 {s.primary:,}セル、補完秘匿 {s.complementary:,}セル。\n"
        f"各データの行数: {rows}")


class ResearchDialog(QDialog):
    def __init__(self, service: ResearchService, runner: BackgroundRunner,
                 parent: QWidget | None = None,
                 date_style: DateStyle = DateStyle.SEIREKI) -> None:
        super().__init__(parent)
        self._service = service
        self.setWindowTitle(TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(860, 620)  # with its title bar, fits a maximised window 697 pixels tall
        self.projects: tuple[Project, ...] = ()
        self.prepared: PreparedExtract | None = None
        self.written: WrittenExtract | None = None
        self.loaded = False
        self.may_approve = False
        # The folder chooser (a test sets its own).
        self.choose_folder: Callable[[], Path | None] = self._ask_folder

        layout = QVBoxLayout(self)
        heading = QLabel(TITLE)
        heading.setStyleSheet(style.PAGE_TITLE)
        layout.addWidget(heading)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setStyleSheet(style.MUTED)
        layout.addWidget(intro)

        form = QFormLayout()
        project_row = QHBoxLayout()
        self.project_combo = QComboBox()
        self.project_combo.setMinimumWidth(320)
        self.project_combo.setAccessibleName("研究プロジェクト")
        self.new_button = QPushButton("新しく登録…")
        self.approve_button = QPushButton("承認する")
        self.approve_button.setToolTip("選んだ研究プロジェクトを承認します。承認者は監査ログに記録されます。")
        self.approve_button.hide()
        project_row.addWidget(self.project_combo, 1)
        project_row.addWidget(self.new_button)
        project_row.addWidget(self.approve_button)
        form.addRow("研究プロジェクト", project_row)
        self.project_state = QLabel("")
        self.project_state.setStyleSheet(style.MUTED)
        self.project_state.setWordWrap(True)
        form.addRow("", self.project_state)
        self.purpose_edit = QLineEdit()
        self.purpose_edit.setPlaceholderText("今回の作成の利用目的（例: 2026年度分析、学会発表用）")
        form.addRow("利用目的", self.purpose_edit)
        self.years = YearChoice(date_style)
        form.addRow("年度", self.years)
        layout.addLayout(form)
        self.tree = VariableTree()
        layout.addWidget(self.tree, 1)
        self.withheld = QLabel("")
        self.withheld.setStyleSheet(style.MUTED)
        self.withheld.hide()
        layout.addWidget(self.withheld)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("infoCard")
        self.summary.setStyleSheet(style.CARD)
        self.summary.setContentsMargins(10, 8, 10, 8)
        self.summary.setAccessibleName("加工の結果")
        self.summary.hide()
        layout.addWidget(self.summary)
        self.strip = ProgressStrip()
        layout.addWidget(self.strip)
        self.status = StatusLine()
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.check_button = QPushButton("加工の結果を確認")
        self.write_button = QPushButton("フォルダを選んで作成…")
        self.write_button.setEnabled(False)
        self.close_button = QPushButton("閉じる")
        buttons.addStretch(1)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.write_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

        busy = [self.check_button, self.write_button, self.new_button, self.approve_button,
                self.project_combo, self.tree]
        self.load_task = PageTask(self, runner, "読み込んでいます", status=self.status,
                                  busy=busy)
        self.prepare_task = PageTask(self, runner, "研究用データを作成しています",
                                     status=self.status, strip=self.strip, busy=busy)
        self.write_task = PageTask(self, runner, "ファイルを書き出しています",
                                   status=self.status, busy=busy, writes=True)
        self.project_task = PageTask(self, runner, "研究プロジェクトを登録しています",
                                     status=self.status, busy=busy, writes=True)

        self.check_button.clicked.connect(self.check)
        self.write_button.clicked.connect(self.write)
        self.close_button.clicked.connect(self.reject)
        self.new_button.clicked.connect(self.new_project)
        self.approve_button.clicked.connect(self.approve)
        self.project_combo.currentIndexChanged.connect(self._project_chosen)
        self.purpose_edit.textChanged.connect(self._invalidate)
        self.tree.itemChanged.connect(self._invalidate)
        self.load()

    # -- loading -----------------------------------------------------------------------------

    def load(self, select: str | None = None) -> None:
        service = self._service

        def task(_ctx: TaskContext) -> tuple[object, ...]:
            return (service.projects(), service.variables(), service.school_years(),
                    service.withheld_note(), service.may_approve())

        def done(result: tuple[object, ...]) -> None:
            projects, variables, years, note, may_approve = result
            first = not self.loaded
            self.loaded, self.may_approve = True, bool(may_approve)
            self.projects = projects  # type: ignore[assignment]
            self.project_combo.blockSignals(True)
            self.project_combo.clear()
            for p in self.projects:
                self.project_combo.addItem(p.name, p.name)
            self.project_combo.blockSignals(False)
            if select is not None:
                self.project_combo.setCurrentIndex(self.project_combo.findData(select))
            self._project_chosen()
            if first:
                self.tree.set_variables(variables)  # type: ignore[arg-type]
                self.years.set_years(years)  # type: ignore[arg-type]
                for _, box in self.years.boxes:
                    box.toggled.connect(self._invalidate)
            self.withheld.setText(str(note))
            self.withheld.setVisible(bool(note))

        self.load_task.run(task, done)

    def _project(self) -> Project | None:
        name = self.project_combo.currentData()
        return next((p for p in self.projects if p.name == name), None)

    def _project_chosen(self) -> None:
        project = self._project()
        self._invalidate()
        if project is None:
            self.project_state.setText("研究プロジェクトを登録してください。")
            self.approve_button.hide()
            return
        if project.approved_by:
            state = f"承認済み: {staff_label(project.approved_by)}"
        else:
            state = "事業全体総括職員の承認待ち"
        self.project_state.setText(f"目的: {project.purpose}　{state}")
        self.approve_button.setVisible(self.may_approve and not project.approved_by)

    # -- projects ------------------------------------------------------------------------------

    def new_project(self) -> ProjectDialog:
        dialog = ProjectDialog(self.may_approve, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        service = self._service

        def submit() -> None:
            name = dialog.name_edit.text().strip()
            purpose = dialog.purpose_edit.toPlainText()
            dialog.set_busy(True)

            def done(_project: object) -> None:
                if alive(dialog):
                    dialog.accept()
                self.load(select=name)

            def refused(message: str) -> None:
                if alive(dialog):
                    dialog.set_busy(False)
                    dialog.show_error(message)

            self.project_task.run(lambda _ctx: service.register_project(name, purpose), done,
                                  on_user_error=refused)

        dialog.submitted.connect(submit)
        dialog.open()
        return dialog

    def approve(self) -> None:
        project = self._project()
        if project is None:
            return
        name = project.name

        def yes() -> None:
            self.project_task.run(lambda _ctx: self._service.approve_project(name),
                                  lambda _p: self.load(select=name))

        confirm(self, "研究プロジェクトの承認",
                f"研究プロジェクト「{name}」を承認しますか？", yes, yes_text="承認する",
                informative=f"目的: {project.purpose}")

    # -- the extract ---------------------------------------------------------------------------

    def _invalidate(self, *_args: object) -> None:
        self.prepared = None
        self.write_button.setEnabled(False)
        self.summary.hide()

    def check(self) -> None:
        from toda_desktop.research.service import ExtractRequest

        project = self._project()
        if project is None:
            self.status.show_message("研究プロジェクトを選ぶか、新しく登録してください。",
                                     error=True)
            return
        request = ExtractRequest(project.name, self.purpose_edit.text(), self.years.chosen(),
                                 self.tree.chosen())
        self.status.clear_message()
        service = self._service

        def task(ctx: TaskContext) -> PreparedExtract:
            return service.prepare(request, progress=ctx.progress, cancel=ctx.cancelled)

        def done(prepared: PreparedExtract) -> None:
            self.prepared = prepared
            self.summary.setText(summary_text(prepared.summary))
            self.summary.show()
            self.write_button.setEnabled(True)

        self.prepare_task.run(task, done)

    def _ask_folder(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(self, "研究用データを保存するフォルダ")
        return Path(chosen) if chosen else None

    def write(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        folder = self.choose_folder()
        if folder is None:
            return
        service = self._service

        def done(written: WrittenExtract) -> None:
            self.written = written
            self.status.show_message(
                f"{len(written.files)}個のファイルを作成しました: {written.folder}")
            self.write_button.setEnabled(False)

        self.write_task.run(lambda _ctx: service.write(prepared, folder), done)


def open_research_dialog(parent: QWidget, service: ResearchService,
                         runner: BackgroundRunner,
                         date_style: DateStyle = DateStyle.SEIREKI) -> ResearchDialog:
    dialog = ResearchDialog(service, runner, parent, date_style)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def add_research_menu(window: QMainWindow, open_dialog: Callable[[], object]) -> QAction:
    """A データ menu with 研究用データの作成… (only for roles with ``research_export``)."""
    action = QAction(f"{TITLE}…", window)
    action.triggered.connect(open_dialog)
    window.menuBar().addMenu("データ").addAction(action)
    return action
