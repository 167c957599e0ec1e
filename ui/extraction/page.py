"""抽出 (roles with ``pupil_search``): build conditions, run them, open the pupils found.

This module is the page's shell: it lays out the parts, each one idea in its own module, and
runs the work on the worker. The builder (:mod:`ui.extraction.builder`) edits a condition tree
of plain data (``toda_desktop.extraction``): groups that combine conditions with すべて (AND) /
いずれか (OR), nested, each condition and group switched on or off; conditions are added and
edited in :class:`ConditionDialog` from the fields the service offers this role. The city's
push-support preset (:mod:`ui.extraction.preset`) starts with one click. Saved extractions are
listed, saved and deleted in :mod:`ui.extraction.saved_list`; the result is shown below
(:mod:`ui.extraction.results`) and exported from here through the service.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QSplitter, QVBoxLayout, QWidget

from kernel.date_style import DateStyle
from toda_desktop.export_files import ExportResult
from toda_desktop.extraction import Extraction, Group, PushSupportOptions
from toda_desktop.formatting import format_count, format_phrase
from toda_desktop.phrase import Phrase
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.export_flow import PurposeService, purpose_step
from ui.extraction.builder import NEW_NAME, Builder, problem_of
from ui.extraction.catalog import Catalog
from ui.extraction.condition_dialog import ConditionDialog
from ui.extraction.export import ask_export_path, export_result
from ui.extraction.preset import PushSupportPreset
from ui.extraction.push_support_dialog import PushSupportDialog
from ui.extraction.results import ResultsPanel
from ui.extraction.saved_list import SavedList
from ui.extraction.tree import ConditionRow, GroupBox
from ui.page_header import PageHeader
from ui.page_task import PageTask

if TYPE_CHECKING:
    from toda_desktop.extraction import Node
    from toda_desktop.extraction.service import (
        ExtractionResult,
        ExtractionService,
        SavedExtraction,
    )
    from toda_desktop.search.service import FilterOptions
    from ui.printing.flow import PrintFlow

DialogT = TypeVar("DialogT", ConditionDialog, PushSupportDialog)
FilterOptionsCall = Callable[[], "FilterOptions"]


class ExtractionPage(QWidget):
    """The 抽出 page; ``open_requested(pupil_id)`` asks the shell to open a karte."""

    open_requested = Signal(int)
    result_shown = Signal(object)  # ExtractionResult (for tests)

    def __init__(
        self,
        service: ExtractionService,
        runner: BackgroundRunner,
        date_style: DateStyle,
        *,
        describe: Callable[..., Phrase],
        filter_options: FilterOptionsCall,
        can_export: bool,
        can_delete_any: bool,
        login_id: str,
        parent: QWidget | None = None,
        purposes: PurposeService | None = None,
        printer: PrintFlow | None = None,  # the result list on paper (issue 14)
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.load_task = PageTask(self, runner, "抽出の準備をしています…")
        self.load_task.ended.connect(self._update_buttons)
        # The run row shows progress and 中止 itself: no progress dialog.
        self.run_task = PageTask(self, runner, "抽出しています…", cancellable=True,
                                 progress_dialog=False)
        self.run_task.ended.connect(self._run_ended)
        self.work_task = PageTask(self, runner, "保存しています…", writes=True)
        self.work_task.ended.connect(self._update_buttons)
        self._style = date_style
        self._describe = describe
        self._filter_options = filter_options
        self._can_export = can_export
        self.overwrite_question: QMessageBox | None = None  # asked before replacing a file
        self._can_delete_any = can_delete_any
        self._login_id = login_id
        self.catalog: Catalog | None = None
        self.years: tuple[int, ...] = ()
        self.result: ExtractionResult | None = None
        self.dialog: ConditionDialog | PushSupportDialog | None = None
        self.confirmation: QMessageBox | None = None
        self.last_export: ExportResult | None = None
        # Where to save an export; a test may replace it (the default asks with a dialog).
        self.choose_export_path: Callable[[str, str], Path | None] = partial(ask_export_path, self)
        # The purpose of the export, asked first (a test may replace it too).
        self.choose_purpose = purpose_step(self, purposes, self.work_task, self._error)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        title_bar = PageHeader("抽出")
        title_bar.status.setText("条件に当てはまる児童生徒を探します")
        self.push_support = preset = PushSupportPreset(service)
        preset.run_button.clicked.connect(self.run_preset)
        preset.settings_button.clicked.connect(self.open_preset_settings)
        title_bar.add_action(preset.run_button, preset.settings_button)
        for button in (preset.run_button, preset.settings_button):
            button.setVisible(preset.offered)
        layout.addLayout(title_bar)

        self.saved = SavedList(date_style, service, self)
        self.builder = Builder(date_style, self._describe_leaf)
        self.results = ResultsPanel(date_style, can_export=can_export, printer=printer)
        self._connect_panels()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.setChildrenCollapsible(False)
        top.addWidget(self.saved)
        top.addWidget(self.builder)
        top.setStretchFactor(1, 1)
        top.setSizes([250, 900])
        splitter.addWidget(top)
        splitter.addWidget(self.results)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        # Last, so that the empty tree follows the results in the Tab order (as it always has).
        self.builder.set_root(Group("and"))
        self._update_buttons()

    def _connect_panels(self) -> None:
        saved, builder, results = self.saved, self.builder, self.results
        saved.table.itemSelectionChanged.connect(self._update_buttons)
        builder.changed.connect(self._update_buttons)
        builder.add_condition_requested.connect(self.add_condition)
        builder.edit_requested.connect(self.edit_condition)
        builder.new_button.clicked.connect(self.new_extraction)
        builder.save_button.clicked.connect(saved.save)
        builder.run_button.clicked.connect(self.run)
        builder.cancel_button.clicked.connect(self.cancel_run)
        results.open_requested.connect(self.open_requested)
        results.table.selectionModel().currentRowChanged.connect(
            lambda *_a: self._update_buttons())
        results.export_button.clicked.connect(self.export)

    # -- loading the catalogue and the saved list ------------------------------------------

    @property
    def busy(self) -> bool:
        return any(task.running for task in (self.load_task, self.run_task, self.work_task))

    @property
    def run_op(self) -> BackgroundOp[Any] | None:
        return self.run_task.op

    def activated(self) -> None:
        """Load the fields, years and saved extractions (again: new imports may add some)."""
        if not self.busy:
            self.reload()

    def reload(self) -> None:
        service, options = self._service, self._filter_options

        def read(_ctx: object) -> tuple[Catalog, tuple[int, ...],
                                        tuple[SavedExtraction, ...]]:
            fo = options()
            catalog = Catalog(service.fields(), service.surveys(),
                              tuple((s.code, s.name) for s in fo.schools), fo.grades)
            return catalog, fo.school_years, service.saved()

        def done(loaded: tuple[Catalog, tuple[int, ...], tuple[SavedExtraction, ...]]
                 ) -> None:
            self.catalog, self.years, saved = loaded
            self.builder.set_years(self.years)
            self.show_saved(saved)

        if self.load_task.run(read, done, on_user_error=self._error) is not None:
            self._update_buttons()

    def show_saved(self, saved: tuple[SavedExtraction, ...], select: int | None = None
                   ) -> None:
        self.saved.show_items(saved, select)
        self._update_buttons()

    # -- the builder and its dialogs -------------------------------------------------------

    def _describe_leaf(self, node: Node) -> str:
        return format_phrase(self._describe(node), self._style)

    def extraction(self) -> Extraction:
        """What the builder holds, as plain data."""
        return self.builder.extraction()

    def set_extraction(self, extraction: Extraction) -> None:
        self.builder.set_extraction(extraction)
        self._update_buttons()

    def new_extraction(self) -> None:
        self.set_extraction(Extraction(NEW_NAME, Group("and")))
        self.builder.name_edit.setFocus()
        self.builder.name_edit.selectAll()

    def add_condition(self, group: GroupBox | None = None) -> ConditionDialog | None:
        if self.catalog is None:
            return None
        target = group if isinstance(group, GroupBox) else self.builder.root
        dialog = ConditionDialog(self.catalog, None, self)

        def submitted() -> None:
            if dialog.node is not None:
                target.add_leaf(dialog.node)
            dialog.accept()

        return self._open_dialog(dialog, submitted)

    def edit_condition(self, row: ConditionRow) -> ConditionDialog | None:
        if self.catalog is None:
            return None
        dialog = ConditionDialog(self.catalog, row.node, self)

        def submitted() -> None:
            if dialog.node is not None:
                row.set_node(dialog.node)
            dialog.accept()

        return self._open_dialog(dialog, submitted)

    def _open_dialog(self, dialog: DialogT, submitted: Callable[[], None]) -> DialogT:
        dialog.submitted.connect(submitted)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    # -- the push-support preset -----------------------------------------------------------

    def preset(self, options: PushSupportOptions | None = None) -> Extraction:
        return self.push_support.extraction(options, self.builder.year_combo.currentData())

    def run_preset(self) -> None:
        """One click: the preset with the current settings, loaded and run."""
        self.set_extraction(self.preset())
        self.run()

    def open_preset_settings(self) -> PushSupportDialog:
        dialog = self.push_support.settings_dialog(self.catalog, self)

        def submitted() -> None:
            self.push_support.options = dialog.options()
            dialog.accept()
            self.run_preset()

        return self._open_dialog(dialog, submitted)

    # -- running ---------------------------------------------------------------------------

    def run(self) -> None:
        extraction = self.extraction()
        problem = problem_of(extraction)
        if problem is not None:
            self.show_status(problem, error=True)
            return
        service = self._service
        self.start_run(lambda ctx: service.run(extraction, progress=ctx.progress,
                                               cancel=ctx.cancelled))

    def start_run(self, task: Callable[[TaskContext], ExtractionResult]) -> None:
        if self.busy:
            return
        self.builder.run_started()
        self.run_task.run(task, self._show_result,
                          on_user_error=lambda m: self.show_status(m, error=True),
                          on_cancelled=lambda: self.show_status("抽出を中止しました。"),
                          on_progress=self.builder.show_progress)
        self._update_buttons()

    def cancel_run(self) -> None:
        """中止: the run stops after the condition it is evaluating."""
        op = self.run_task.op
        if op is None or not op.running:
            return
        self.run_task.cancel()
        self.builder.cancelling()

    def _run_ended(self) -> None:
        self.builder.run_ended()
        self._update_buttons()

    def print_page(self) -> None:
        self.results.print_current()  # (Ctrl+P)

    def _show_result(self, result: ExtractionResult) -> None:
        self.result = result
        self.results.show_result(result)
        self.show_status(f"抽出しました: {format_count(len(result.rows))}人", ok=True)
        self._update_buttons()
        self.result_shown.emit(result)

    def show_status(self, message: str, *, error: bool = False, ok: bool = False) -> None:
        self.builder.show_status(message, error=error, ok=ok)

    def _error(self, message: str) -> None:
        self.show_status(message, error=True)

    def work(self, task: Callable[[Any], Any], done: Callable[[Any], None], label: str
             ) -> None:
        """A short write or export on the worker (one at a time)."""
        if self.busy:
            return
        self.work_task.run(task, done, label=label, on_user_error=self._error)
        self._update_buttons()

    # -- exporting the result --------------------------------------------------------------

    @property
    def service(self) -> ExtractionService:
        return self._service

    @property
    def can_export(self) -> bool:
        return self._can_export

    def export(self) -> None:
        export_result(self)

    # -- buttons ---------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        ready = self.catalog is not None and not self.busy
        for b in (self.push_support.run_button, self.push_support.settings_button):
            b.setEnabled(ready)
        self.builder.set_ready(ready)
        selected = self.saved.selected()
        may_delete = selected is not None and (
            self._can_delete_any or selected.created_by == self._login_id)
        self.saved.update_buttons(busy=self.busy, ready=ready, may_delete=may_delete)
        self.results.update_buttons(self.result, busy=self.busy)
