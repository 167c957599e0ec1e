"""取込 (roles with ``import``): the import wizard's shell over ``ImportingService``.

Choose files (several at once) → for each file in turn: the recognized kind with how sure and
why, encoding and rows, the header mapping (changeable, saved per source with ``remap``) →
preview in the background (counts, the validation report with a severity filter and export)
→ commit after a confirmation that says in plain words what will happen → the result. The
files are processed one after another in the office's order (児童生徒基本情報, 学校, 在籍
first); the list on the left keeps the summary. Every service call runs on the worker through
:class:`BackgroundRunner` with progress and 中止; the window never waits.

This module holds the wizard's state, the busy row and the stack of step views, and wires each
step's view (``ui.importing.steps``) to what the step does (``ui.importing.flow``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.export_files import ExportResult
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.export_flow import PurposeService, purpose_step
from ui.importing.flow.commit import CommitFlow
from ui.importing.flow.files import FilesFlow
from ui.importing.flow.mapping import MappingFlow
from ui.importing.flow.preview import PreviewFlow
from ui.importing.flow.values import ValuesFlow
from ui.importing.models.files import WAITING, FileEntry
from ui.importing.models.preview import IssueRow
from ui.importing.queue import QueuePanel
from ui.importing.steps import FINISHED, MAPPING, PREVIEW, RESULT, START
from ui.importing.steps.finished import FinishedStep
from ui.importing.steps.mapping import MappingStep
from ui.importing.steps.preview import PreviewStep
from ui.importing.steps.result import ResultStep
from ui.importing.steps.start import StartStep
from ui.importing.value_map_dialog import ValueMapDialog
from ui.importing.widgets import StepBar, say
from ui.page_header import PageHeader
from ui.page_task import PageTask

if TYPE_CHECKING:
    from toda_desktop.importing.service import ImportingService, ImportPreview, ImportResult

__all__ = ["FINISHED", "MAPPING", "PREVIEW", "RESULT", "START", "ImportPage"]


class ImportPage(QWidget):
    """The 取込 wizard. ``imported`` fires after each commit (history and review change)."""

    imported = Signal(str)  # the kind that was imported

    def __init__(
        self,
        importer: ImportingService,
        kinds: Sequence[Any],
        runner: BackgroundRunner,
        *,
        master_kind: str,
        can_overwrite: bool,
        can_export: bool,
        parent: QWidget | None = None,
        purposes: PurposeService | None = None,
        date_style: DateStyle = DateStyle.SEIREKI,
    ) -> None:
        super().__init__(parent)
        self.importer = importer
        self.master_kind = master_kind
        self.can_overwrite = can_overwrite
        self.entries: list[FileEntry] = []
        self.current = -1
        self._preview: ImportPreview | None = None
        self.issues: Sequence[IssueRow] = []
        self.last_result: ImportResult | None = None
        self.last_export: ExportResult | None = None
        self.pupils_present = True
        # One piece of work at a time; the busy row under the steps shows it with 中止.
        self.read_task = PageTask(self, runner, "読んでいます…", cancellable=True)
        self.write_task = PageTask(self, runner, "取り込んでいます…", cancellable=True,
                                   writes=True)
        for page_task in (self.read_task, self.write_task):
            page_task.ended.connect(self._work_ended)
        self.confirmation: QMessageBox | None = None
        self.value_dialog: ValueMapDialog | None = None
        self.overwrite_question: QMessageBox | None = None  # asked before replacing a file

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 16)
        outer.setSpacing(10)
        title_bar = PageHeader("取込", spacing=16)
        self.step_bar = StepBar()
        title_bar.set_middle(self.step_bar)
        outer.addLayout(title_bar)

        body = QHBoxLayout()
        body.setSpacing(16)
        outer.addLayout(body, 1)
        self.queue_panel = QueuePanel()
        body.addWidget(self.queue_panel)
        self.steps = QStackedWidget()
        body.addWidget(self.steps, 1)
        self.start_step = StartStep()
        self.mapping_step = MappingStep(kinds)
        self.preview_step = PreviewStep(can_export=can_export, date_style=date_style)
        self.result_step = ResultStep()
        self.finished_step = FinishedStep()
        for step in (self.start_step, self.mapping_step, self.preview_step, self.result_step,
                     self.finished_step):
            self.steps.addWidget(step)
        # What each step does, over its view.
        self.files_flow = FilesFlow(self)
        self.mapping_flow = MappingFlow(self)
        self.preview_flow = PreviewFlow(self)
        self.values_flow = ValuesFlow(self)
        self.commit_flow = CommitFlow(self)
        # Replaceable by tests (the defaults ask with a file dialog).
        self.choose_files: Callable[[], list[Path]] = self.files_flow.ask_files
        self.choose_report_path: Callable[[str], Path | None] = self.preview_flow.ask_report_path
        self.choose_purpose = purpose_step(
            self, purposes, self.write_task,
            lambda message: say(self.preview_step.export_status, message, style.ERROR_TEXT))
        self._connect_steps()

        busy = QHBoxLayout()
        self.busy_label = QLabel("")
        self.busy_label.setStyleSheet(style.MUTED)
        self.busy_bar = QProgressBar()
        self.busy_bar.setMaximumWidth(280)
        self.busy_bar.setTextVisible(False)
        self.busy_cancel = QPushButton("中止")
        self.busy_cancel.clicked.connect(self.cancel_work)
        busy.addWidget(self.busy_label, 1)
        busy.addWidget(self.busy_bar)
        busy.addWidget(self.busy_cancel)
        self.busy_row = QWidget()
        self.busy_row.setLayout(busy)
        self.busy_row.hide()
        outer.addWidget(self.busy_row)
        self.show_step(START)

    def _connect_steps(self) -> None:
        """What the steps' buttons and choices do."""
        files, mapping = self.files_flow, self.mapping_flow
        preview, values, commit = self.preview_flow, self.values_flow, self.commit_flow
        self.queue_panel.stop_button.clicked.connect(files.stop_remaining)
        self.start_step.choose_button.clicked.connect(files.pick_files)
        self.mapping_step.kind_combo.activated.connect(mapping.kind_chosen)
        self.mapping_step.sheet_combo.activated.connect(files.sheet_chosen)
        self.mapping_step.mapping_model.dataChanged.connect(mapping.mapping_edited)
        self.mapping_step.skip_button.clicked.connect(files.skip_file)
        self.mapping_step.save_mapping_button.clicked.connect(lambda: mapping.save_mapping())
        self.mapping_step.to_preview_button.clicked.connect(preview.start_preview)
        self.preview_step.export_button.clicked.connect(preview.export_report)
        self.preview_step.overwrite_check.toggled.connect(lambda _on: preview.update_commit_text())
        self.preview_step.repeats_check.toggled.connect(lambda _on: preview.update_commit_text())
        self.preview_step.values_button.clicked.connect(values.map_values)
        self.preview_step.back_button.clicked.connect(lambda: self.show_step(MAPPING))
        self.preview_step.skip_button2.clicked.connect(files.skip_file)
        self.preview_step.commit_button.clicked.connect(commit.ask_commit)
        self.result_step.next_button.clicked.connect(files.next_file)
        self.finished_step.again_button.clicked.connect(files.pick_files)

    # -- state -----------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return self.steps.currentIndex()

    @property
    def preview(self) -> ImportPreview | None:
        return self._preview

    @preview.setter
    def preview(self, preview: ImportPreview | None) -> None:
        """A preview replaced is done with: the table that showed its findings is emptied
        and the findings let go (a spill file deleted at once)."""
        old, self._preview = self._preview, preview
        if old is not None and old is not preview:
            self.issues = []
            self.preview_step.issues_model.set_rows([])
            old.close()

    @property
    def entry(self) -> FileEntry | None:
        return self.entries[self.current] if 0 <= self.current < len(self.entries) else None

    @property
    def busy(self) -> bool:
        return self.op is not None

    def show_step(self, step: int) -> None:
        self.steps.setCurrentIndex(step)
        self.step_bar.set_step({START: 0, MAPPING: 1, PREVIEW: 2, RESULT: 3, FINISHED: 3}[step])
        self.queue_panel.setVisible(bool(self.entries))
        self.queue_panel.stop_button.setVisible(step in (MAPPING, PREVIEW, RESULT)
                                    and any(e.state == WAITING for e in self.entries))

    def _set_busy(self, label: str | None) -> None:
        busy = label is not None
        self.busy_row.setVisible(busy)
        self.busy_label.setText(label or "")
        self.busy_bar.setRange(0, 0)
        self.busy_cancel.setEnabled(True)
        for widget in (self.steps, self.queue_panel.stop_button):
            widget.setEnabled(not busy)

    def run(
        self,
        task: Callable[[TaskContext], Any],
        on_success: Callable[[Any], None],
        label: str,
        *,
        on_cancelled: Callable[[], None] | None = None,
        on_user_error: Callable[[str], None] | None = None,
        writes: bool = False,
    ) -> BackgroundOp[Any] | None:
        """``writes``: the task changes the store (see :class:`PageTask`)."""

        def progressed(fraction: float) -> None:
            self.busy_bar.setRange(0, 1000)
            self.busy_bar.setValue(round(fraction * 1000))

        page_task = self.write_task if writes else self.read_task
        op = page_task.run(task, on_success, label=label, on_cancelled=on_cancelled,
                           on_user_error=on_user_error, on_progress=progressed)
        if op is not None:
            self._set_busy(label)
        return op

    @property
    def op(self) -> BackgroundOp[Any] | None:
        """The work running now (reading, checking or importing), if any."""
        return self.read_task.op or self.write_task.op

    def _work_ended(self) -> None:
        self._set_busy(None)
        self.mapping_flow.update_buttons()

    def cancel_work(self) -> None:
        for page_task in (self.read_task, self.write_task):
            if page_task.running:
                page_task.cancel()
                self.busy_cancel.setEnabled(False)
                self.busy_label.setText("中止しています…")

    def file_heading(self, entry: FileEntry) -> str:
        """「ファイル 2 / 4　name」 over the steps of one file."""
        return f"ファイル {self.current + 1} / {len(self.entries)}　{entry.display_name}"

    def next_file(self) -> None:
        """Go to the next file that is still waiting (or to the summary)."""
        self.files_flow.next_file()
