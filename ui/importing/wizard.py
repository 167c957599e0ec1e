"""取込 (roles with ``import``): the import wizard over ``ImportingService``.

Choose files (several at once) → for each file in turn: the recognized kind with how sure and
why, encoding and rows, the header mapping (changeable, saved per source with ``remap``) →
preview in the background (counts, the validation report with a severity filter and export)
→ commit after a confirmation that says in plain words what will happen → the result. The
files are processed one after another in the office's order (児童生徒基本情報, 学校, 在籍
first); the list on the left keeps the summary. Every service call runs on the worker through
:class:`BackgroundRunner` with progress and 中止; the window never waits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.errors import OperationCancelled, user_message
from toda_desktop.export_files import ExportResult
from toda_desktop.formatting import format_count
from toda_desktop.importing.service import issue_rows
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.dialogs import confirm
from ui.export_flow import (
    ask_save_path,
    chosen_format,
    confirm_overwrite,
    export_format,
    replaced_note,
    text_encoding,
    with_suffix,
)
from ui.importing.models import (
    CURRENT,
    IMPORTED,
    NOTHING,
    SKIPPED,
    UNREADABLE,
    WAITING,
    FileEntry,
    IssueRow,
    MappingModel,
    column_choices,
    commit_summary,
    entries_of,
    in_import_order,
    mapping_problems,
    mapping_rows,
    n_rows,
    rows_to_import,
    sheet_choices,
    sheets_not_read,
)
from ui.importing.queue import QueuePanel
from ui.importing.steps.finished import FinishedStep
from ui.importing.steps.mapping import MappingStep
from ui.importing.steps.preview import PreviewStep
from ui.importing.steps.result import ResultStep
from ui.importing.steps.start import StartStep
from ui.importing.value_map_dialog import ValueMapDialog
from ui.importing.widgets import FILE_FILTER, LOW_CONFIDENCE, NO_PUPILS_TEXT, StepBar, say
from ui.page_header import PageHeader
from ui.page_task import PageTask

if TYPE_CHECKING:
    from toda_desktop.importing.service import (
        FileInspection,
        ImportingService,
        ImportPreview,
        ImportResult,
    )

START, MAPPING, PREVIEW, RESULT, FINISHED = range(5)
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
    ) -> None:
        super().__init__(parent)
        self._importer = importer
        self._kinds = list(kinds)
        self._master_kind = master_kind
        self._can_overwrite = can_overwrite
        self._can_export = can_export
        self.entries: list[FileEntry] = []
        self.current = -1
        self.preview: ImportPreview | None = None
        self.issues: list[IssueRow] = []
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
        # Replaceable by tests (the defaults ask with a file dialog).
        self.choose_files: Callable[[], list[Path]] = self._ask_files
        self.choose_report_path: Callable[[str], Path | None] = self._ask_report_path

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
        self.preview_step = PreviewStep(can_export=can_export)
        self.result_step = ResultStep()
        self.finished_step = FinishedStep()
        for step in (self.start_step, self.mapping_step, self.preview_step, self.result_step,
                     self.finished_step):
            self.steps.addWidget(step)
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
        self._show_step(START)

    def _connect_steps(self) -> None:
        """What the steps' buttons and choices do."""
        self.queue_panel.stop_button.clicked.connect(self.stop_remaining)
        self.start_step.choose_button.clicked.connect(self.pick_files)
        self.mapping_step.kind_combo.activated.connect(self._kind_chosen)
        self.mapping_step.sheet_combo.activated.connect(self._sheet_chosen)
        self.mapping_step.mapping_model.dataChanged.connect(self._mapping_edited)
        self.mapping_step.skip_button.clicked.connect(self.skip_file)
        self.mapping_step.save_mapping_button.clicked.connect(lambda: self.save_mapping())
        self.mapping_step.to_preview_button.clicked.connect(self.start_preview)
        self.preview_step.export_button.clicked.connect(self.export_report)
        self.preview_step.overwrite_check.toggled.connect(lambda _on: self._update_commit_text())
        self.preview_step.repeats_check.toggled.connect(lambda _on: self._update_commit_text())
        self.preview_step.values_button.clicked.connect(self.map_values)
        self.preview_step.back_button.clicked.connect(lambda: self._show_step(MAPPING))
        self.preview_step.skip_button2.clicked.connect(self.skip_file)
        self.preview_step.commit_button.clicked.connect(self.ask_commit)
        self.result_step.next_button.clicked.connect(self.next_file)
        self.finished_step.again_button.clicked.connect(self.pick_files)

    # -- state -----------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return self.steps.currentIndex()

    @property
    def entry(self) -> FileEntry | None:
        return self.entries[self.current] if 0 <= self.current < len(self.entries) else None

    @property
    def busy(self) -> bool:
        return self.op is not None

    def _show_step(self, step: int) -> None:
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

    def _run(
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
        self._update_mapping_buttons()

    def cancel_work(self) -> None:
        for page_task in (self.read_task, self.write_task):
            if page_task.running:
                page_task.cancel()
                self.busy_cancel.setEnabled(False)
                self.busy_label.setText("中止しています…")

    # -- choosing and reading the files ----------------------------------------------------

    def _ask_files(self) -> list[Path]:
        names, _filter = QFileDialog.getOpenFileNames(self, "取り込むファイルを選ぶ", "",
                                                      FILE_FILTER)
        return [Path(n) for n in names]

    def pick_files(self) -> None:
        if self.busy:
            return
        paths = self.choose_files()
        if paths:
            self.open_files(paths)

    def open_files(self, paths: Sequence[Path]) -> None:
        """Read and recognize every chosen file (one background run), then start with the
        first in the office's order."""
        importer, master = self._importer, self._master_kind
        paths = list(paths)

        def task(ctx: TaskContext) -> tuple[list[FileEntry], bool]:
            entries: list[FileEntry] = []
            for number, path in enumerate(paths):

                def progress(fraction: float, n: int = number) -> None:
                    ctx.progress((n + fraction) / len(paths))

                try:
                    # A workbook gives one entry per sheet that fits.
                    entries += entries_of(path, importer.inspect_sheets(
                        path, progress=progress, cancel=ctx.cancelled))
                except OperationCancelled:
                    raise
                except Exception as exc:
                    message = user_message(exc)
                    if message is None:
                        raise
                    entries.append(FileEntry(path, error=message, state=UNREADABLE))
            have_pupils = any(
                b.kind == master and b.status == "committed" for b in importer.batches()
            )
            return entries, have_pupils

        say(self.start_step.start_status, "")
        self._run(task, self._files_read, "ファイルを読んでいます…",
                  on_user_error=lambda m: say(self.start_step.start_status, m))

    def _files_read(self, found: tuple[list[FileEntry], bool]) -> None:
        entries, have_pupils = found
        ordered = in_import_order(entries)
        self.entries = ordered
        self.pupils_present = have_pupils
        self.queue_panel.queue_model.set_entries(ordered)
        notes = []
        css = style.NOTICE_TEXT
        if [id(e) for e in ordered] != [id(e) for e in entries]:
            notes.append("児童生徒基本情報・学校・在籍のファイルを先に取り込むよう、"
                         "順番を並べ替えました。")
        links = [e for e in ordered if e.inspection is not None and e.inspection.kind is not None
                 and e.inspection.kind.links_to_pupil]
        if links and not have_pupils and not any(e.kind_name == self._master_kind
                                                 for e in ordered):
            notes.append(NO_PUPILS_TEXT)
            css = style.ERROR_TEXT
        for entry in ordered:
            if entry.error:
                notes.append(f"「{entry.path.name}」は読めません: {entry.error}")
                css = style.ERROR_TEXT
        say(self.queue_panel.order_label, "\n".join(notes), css)
        self.current = -1
        self._advance()

    def next_file(self) -> None:
        """Go to the next file that is still waiting (or to the summary)."""
        if not self.busy:
            self._advance()

    def _advance(self) -> None:
        for number in range(self.current + 1, len(self.entries)):
            if self.entries[number].state == WAITING:
                self._open_entry(number)
                return
        self.current = len(self.entries)
        self.queue_panel.queue_model.current = -1
        self.queue_panel.queue_model.refresh()
        self._show_finished()

    def _open_entry(self, number: int) -> None:
        self.current = number
        self.queue_panel.queue_model.current = number
        entry = self.entries[number]
        entry.state = CURRENT
        self.queue_panel.queue_model.refresh()
        self.queue_panel.queue_table.scrollTo(self.queue_panel.queue_model.index(number, 0))
        self.preview = None
        self._show_inspection()
        self._show_step(MAPPING)

    def _file_heading(self, entry: FileEntry) -> str:
        return f"ファイル {self.current + 1} / {len(self.entries)}　{entry.display_name}"

    # -- step 2: kind and headers ----------------------------------------------------------

    def _show_inspection(self) -> None:
        entry = self.entry
        assert entry is not None and entry.inspection is not None
        inspection: FileInspection = entry.inspection
        self.mapping_step.file_title.setText(self._file_heading(entry))
        kind = inspection.kind
        self.mapping_step.kind_combo.setCurrentIndex(max(self.mapping_step.kind_combo.findData(
            None if kind is None else kind.name), 0))
        guess = inspection.guess
        sure = round(guess.confidence * 100)
        if guess.kind is None:
            self.mapping_step.confidence_label.setText("")
        elif kind is not None and guess.kind != kind.name:
            self.mapping_step.confidence_label.setText("（選び直した種類）")
            self.mapping_step.confidence_label.setStyleSheet(style.MUTED)
        else:
            low = guess.confidence < LOW_CONFIDENCE
            self.mapping_step.confidence_label.setText(
                f"確からしさ {sure}%" + ("（要確認）" if low else ""))
            self.mapping_step.confidence_label.setStyleSheet(
                f"color: {'#8a5a00' if low else style.OK_COLOR}; font-weight: bold;"
            )
        low = guess.kind is not None and guess.confidence < LOW_CONFIDENCE
        self.mapping_step.guess_label.setText(guess.explanation + (
            "\n確からしさが低いため、データの種類が正しいか確かめてください。" if low else ""))
        self.mapping_step.encoding_label.setText(inspection.encoding_label
                                    + (f"（シート「{inspection.raw.sheet}」）"
                                       if inspection.raw.sheet else ""))
        self.mapping_step.rows_label.setText(n_rows(inspection.raw.row_count))
        self._show_sheets(entry)
        before = inspection.already_imported
        say(self.mapping_step.already_label, "" if before is None else (
            f"このファイルは既に取り込まれています（取込番号 {before.id}）。"
            "もう一度取り込んでも同じ行は増えません。新しく照合できた行だけを取り込みます。"
        ))
        rows = mapping_rows(inspection)
        choices = column_choices(kind) if kind is not None else []
        self.mapping_step.mapping_model.set_rows(rows, choices)
        if kind is not None:
            for row in range(len(rows)):
                self.mapping_step.mapping_table.openPersistentEditor(
                    self.mapping_step.mapping_model.index(row, MappingModel.CHOICE_COLUMN))
        self._show_mapping_messages()
        self._update_mapping_buttons()

    def _show_sheets(self, entry: FileEntry) -> None:
        several = len(entry.sheets) > 1
        self.mapping_step.sheet_caption.setVisible(several)
        self.mapping_step.sheet_row.setVisible(several)
        self.mapping_step.sheet_combo.clear()
        for label, name in sheet_choices(entry, self.entries):
            self.mapping_step.sheet_combo.addItem(label, name)
        sheets = self.mapping_step.sheet_combo
        sheets.setCurrentIndex(max(0, sheets.findData(entry.sheet)))
        say(self.mapping_step.sheet_notes, "\n".join(
            f"シート「{name}」は読みませんでした: {why}"
            for name, why in sheets_not_read(entry, self.entries)))

    def _sheet_chosen(self, _index: int) -> None:
        """Read another sheet of the workbook for this entry (its kind recognized anew)."""
        entry = self.entry
        name = self.mapping_step.sheet_combo.currentData()
        if entry is None or entry.inspection is None or name is None:
            return
        if name == entry.inspection.sheet:
            return
        importer, path = self._importer, entry.path

        def task(ctx: TaskContext) -> FileInspection:
            return importer.inspect(path, sheet=name, progress=ctx.progress,
                                    cancel=ctx.cancelled)

        def done(inspection: FileInspection) -> None:
            entry.inspection, entry.sheet = inspection, inspection.sheet
            self.queue_panel.queue_model.refresh()
            self.mapping_step.file_title.setText(self._file_heading(entry))
            self._show_inspection()

        def refused(message: str) -> None:
            self._show_inspection()
            say(self.mapping_step.problems_label, message)

        self._run(task, done, "選んだシートを読んでいます…", on_user_error=refused,
                  on_cancelled=self._show_inspection)

    def _show_mapping_messages(self) -> None:
        entry = self.entry
        inspection = None if entry is None else entry.inspection
        if inspection is None:
            return
        kind, mapping = inspection.kind, inspection.mapping
        if kind is None:
            say(self.mapping_step.problems_label, "データの種類を判断できませんでした。"
                 "上の「データの種類」で、このファイルの種類を選んでください。")
            say(self.mapping_step.mapping_notes, "")
            return
        problems = mapping_problems(kind, self.mapping_step.mapping_model.rows)
        if not self.mapping_step.mapping_model.dirty and mapping is not None:
            local = {p.split("。")[0] for p in problems}
            problems += [e for e in mapping.errors if e.split("。")[0] not in local
                         and not e.startswith("必須の列")]
        say(self.mapping_step.problems_label, "\n".join(problems))
        notes = []
        if self.mapping_step.mapping_model.dirty:
            notes.append("変更した対応はまだ保存されていません。「この対応を保存」を押すと、"
                         "この提出元のファイルを次に取り込むときも同じ対応で読みます。")
        elif mapping is not None:
            notes += [m for m in mapping.messages if m not in mapping.errors]
        say(self.mapping_step.mapping_notes, "\n".join(notes))

    def _mapping_edited(self, *_args: object) -> None:
        self._show_mapping_messages()
        self._update_mapping_buttons()

    def _update_mapping_buttons(self) -> None:
        entry = self.entry
        inspection = None if entry is None else entry.inspection
        kind = None if inspection is None else inspection.kind
        dirty = self.mapping_step.mapping_model.dirty
        rows = self.mapping_step.mapping_model.rows
        problems = [] if kind is None else mapping_problems(kind, rows)
        service_errors = bool(inspection is not None and inspection.mapping is not None
                              and inspection.mapping.errors)
        step = self.mapping_step
        step.save_mapping_button.setEnabled(kind is not None and dirty and not self.busy)
        step.to_preview_button.setText("対応を保存して検証に進む" if dirty else "検証に進む")
        self.mapping_step.to_preview_button.setEnabled(
            kind is not None and not problems and (dirty or not service_errors)
            and not self.busy
        )

    def _kind_chosen(self, _index: int) -> None:
        entry = self.entry
        name = self.mapping_step.kind_combo.currentData()
        if entry is None or entry.inspection is None or name is None:
            return
        if entry.inspection.kind is not None and entry.inspection.kind.name == name:
            return
        importer, path = self._importer, entry.path

        sheet = entry.sheet

        def task(ctx: TaskContext) -> FileInspection:
            return importer.inspect(path, name, sheet=sheet, progress=ctx.progress,
                                    cancel=ctx.cancelled)

        def done(inspection: FileInspection) -> None:
            entry.inspection = inspection
            self.queue_panel.queue_model.refresh()
            self._show_inspection()

        def refused(message: str) -> None:
            self._show_inspection()
            say(self.mapping_step.problems_label, message)

        self._run(task, done, "選んだ種類で読み直しています…", on_user_error=refused,
                  on_cancelled=self._show_inspection)

    def save_mapping(self, then: Callable[[], None] | None = None) -> None:
        """``remap``: apply the choices and remember them for this source."""
        entry = self.entry
        if entry is None or entry.inspection is None or entry.inspection.kind is None:
            return
        importer, inspection = self._importer, entry.inspection
        kind_name = str(inspection.kind.name)
        saved = self.mapping_step.mapping_model.saved_form()

        def done(updated: FileInspection) -> None:
            entry.inspection = updated
            self._show_inspection()
            messages = updated.mapping.messages if updated.mapping is not None else ()
            say(self.mapping_step.mapping_notes,
                "見出しの対応を保存しました。この提出元のファイルは、次回から同じ対応で読みます。"
                + ("\n" + "\n".join(messages) if messages else ""))
            if then is not None and updated.mapping is not None and not updated.mapping.errors:
                then()

        self._run(lambda _ctx: importer.remap(inspection, kind_name, saved), done,
                  "見出しの対応を保存しています…",
                  on_user_error=lambda m: say(self.mapping_step.problems_label, m), writes=True)

    # -- step 3: preview -------------------------------------------------------------------

    def start_preview(self) -> None:
        if self.busy:
            return
        if self.mapping_step.mapping_model.dirty:
            self.save_mapping(then=self._preview)
            return
        self._preview()

    def _preview(self) -> None:
        entry = self.entry
        if entry is None or entry.inspection is None:
            return
        importer, inspection = self._importer, entry.inspection

        def task(ctx: TaskContext) -> tuple[ImportPreview, list[IssueRow]]:
            preview = importer.preview(inspection, progress=ctx.progress, cancel=ctx.cancelled)
            return preview, [IssueRow.from_report(r) for r in issue_rows(preview)]

        def cancelled() -> None:
            say(self.mapping_step.mapping_notes,
                "検証を中止しました。データベースは変わっていません。")

        self._run(task, self._show_preview, "ファイルを検証しています…",
                  on_cancelled=cancelled,
                  on_user_error=lambda m: say(self.mapping_step.problems_label, m))

    def _show_preview(self, found: tuple[ImportPreview, list[IssueRow]]) -> None:
        preview, issues = found
        entry = self.entry
        assert entry is not None
        self.preview, self.issues = preview, issues
        self.preview_step.show_preview(
            preview, issues, f"{self._file_heading(entry)}（{preview.kind.label}）",
            can_overwrite=self._can_overwrite)
        self._update_commit_text()
        self._show_step(PREVIEW)

    def _update_commit_text(self) -> None:
        preview = self.preview
        if preview is None:
            return
        counts = preview.counts
        overwrite = self.preview_step.overwrite_check.isChecked()
        repeated = self.preview_step.repeats_check.isChecked()
        repeats = int(counts.get("repeats", 0)) if repeated else 0
        writes = rows_to_import(counts, overwrite) + int(counts.get("review", 0)) + repeats
        if preview.blocking:
            say(self.preview_step.preview_notice,
                 "ファイル全体に関わるエラーがあるため、このファイルは取り込めません。"
                 "検証結果を出力して提出元に渡し、直したファイルをもう一度取り込んでください。",
                 style.ERROR_TEXT)
        elif not writes:
            if counts.get("identical", 0) and not counts.get("conflicts", 0):
                text = "このファイルの行はすべて取込済みです。取り込む新しい行はありません。"
            elif counts.get("conflicts", 0) and self._can_overwrite:
                text = ("新しく取り込む行はありません。値の異なる既存の記録を置き換えるときは、"
                        "「上書きする」を選んでください。")
            else:
                text = "取り込める行がありません。検証結果を確認してください。"
            rows = int(counts.get("rows", 0))
            if (not self.pupils_present and counts.get("rejected", 0) == rows and rows
                    and preview.kind.links_to_pupil):
                text = NO_PUPILS_TEXT
            say(self.preview_step.preview_notice, text, style.NOTICE_TEXT)
        else:
            say(self.preview_step.preview_notice, "")
        can = bool(writes) and not preview.blocking
        self.preview_step.commit_button.setEnabled(can)
        say(self.preview_step.commit_text, self._commit_sentence(overwrite) if can else "")

    def _keep_repeats(self) -> bool:
        check = self.preview_step.repeats_check
        return check.isChecked() and check.isVisible()

    def _commit_sentence(self, overwrite: bool) -> str:
        assert self.preview is not None
        text = commit_summary(self.preview.counts, overwrite)
        if self.preview_step.repeats_check.isChecked():
            text += (f"すべての列が同じ行 {n_rows(int(self.preview.counts.get('repeats', 0)))}も、"
                     "繰り返しの記録として取り込みます。")
        return text

    def map_values(self) -> None:
        """Map values outside a column's list to listed ones, save them for the source and
        check the file again."""
        preview, entry = self.preview, self.entry
        if preview is None or entry is None or entry.inspection is None or self.busy:
            return
        dialog = ValueMapDialog(preview.unknown_values, self)
        self.value_dialog = dialog
        importer, inspection = self._importer, entry.inspection

        def save() -> None:
            chosen = dialog.chosen()

            def task(_ctx: TaskContext) -> None:
                for column, values in chosen.items():
                    importer.save_value_map(inspection, column, dict(values))

            def saved(_nothing: None) -> None:
                dialog.accept()
                # After this operation has ended (its end clears the page's busy state).
                QTimer.singleShot(0, self._preview)

            def refused(message: str) -> None:
                dialog.set_busy(False)
                dialog.show_error(message)

            dialog.set_busy(True)
            self._run(task, saved, "値の対応付けを保存しています…", on_user_error=refused)

        dialog.submitted.connect(save)
        dialog.open()

    # -- the report ------------------------------------------------------------------------

    def _ask_report_path(self, fmt: str) -> Path | None:
        entry = self.entry
        stem = Path(entry.path.name).stem if entry is not None else "取込"
        return ask_save_path(self, "検証結果を出力", f"{stem}_検証結果", export_format(fmt))

    def export_report(self) -> None:
        """Write the validation report (all rows, whatever the filter shows) for the school."""
        if self.preview is None or self.busy:
            return
        fmt = chosen_format(self.preview_step.report_format_combo)
        chosen = self.choose_report_path(fmt.key)
        if chosen is None:
            return
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        preview = self.preview
        importer = self._importer

        def done(result: ExportResult) -> None:
            self.last_export = result
            note = replaced_note(result)
            say(self.preview_step.export_status,
                 f"検証結果 {format_count(result.rows)}件を出力しました: {result.path}{note}",
                 style.OK_TEXT)

        def start(overwrite: bool) -> None:
            def task(_ctx: TaskContext) -> ExportResult:
                # Through the service: the export is checked and audit-logged.
                return importer.export_issues(preview, path, encoding, overwrite=overwrite)

            self._run(task, done, "検証結果を出力しています…",
                      on_user_error=lambda m: say(self.preview_step.export_status, m,
                                                  style.ERROR_TEXT))

        self.overwrite_question = confirm_overwrite(self, [path], start)

    # -- step 4: commit --------------------------------------------------------------------

    def ask_commit(self) -> None:
        preview = self.preview
        if preview is None or self.busy or not self.preview_step.commit_button.isEnabled():
            return
        check = self.preview_step.overwrite_check
        overwrite = check.isChecked() and check.isVisible()
        self.confirmation = confirm(
            self,
            "取込の確認",
            f"「{preview.inspection.file_name}」（{preview.kind.label}）\n\n"
            + self._commit_sentence(overwrite),
            lambda: self.commit(overwrite, self._keep_repeats()),
            yes_text="取り込む",
            informative="取り込んだあとでも「取込履歴」から取り消せます。",
        )

    def commit(self, overwrite: bool = False, keep_repeats: bool = False) -> None:
        preview = self.preview
        entry = self.entry
        if preview is None or entry is None:
            return
        importer = self._importer

        def task(ctx: TaskContext) -> ImportResult:
            return importer.commit(preview, overwrite=overwrite, keep_repeats=keep_repeats,
                                   progress=ctx.progress, cancel=ctx.cancelled)

        def cancelled() -> None:
            say(self.preview_step.preview_notice,
                "取込を中止しました。データベースは変わっていません。", style.NOTICE_TEXT)

        self._run(task, self._committed, "取り込んでいます…", on_cancelled=cancelled,
                  on_user_error=lambda m: say(self.preview_step.preview_notice, m,
                                              style.ERROR_TEXT),
                  writes=True)

    def _committed(self, result: ImportResult) -> None:
        entry = self.entry
        assert entry is not None
        entry.result = result
        entry.finish(IMPORTED)
        self.last_result = result
        if entry.kind_name == self._master_kind:
            self.pupils_present = True
        self.queue_panel.queue_model.refresh()
        last = not any(e.state == WAITING for e in self.entries[self.current + 1:])
        self.result_step.show_result(entry.display_name, result, last=last)
        self._show_step(RESULT)
        self.result_step.next_button.setFocus()
        self.imported.emit(entry.kind_name)

    # -- skipping and the end --------------------------------------------------------------

    def skip_file(self) -> None:
        entry = self.entry
        if entry is None or self.busy:
            return
        preview = self.preview if self.step == PREVIEW else None
        nothing = (preview is not None and not preview.blocking and not preview.has_changes
                   and not preview.counts.get("rejected") and not preview.counts.get("error_rows"))
        entry.finish(NOTHING if nothing else SKIPPED)
        entry.note = "取り込む新しい行はありませんでした。" if entry.state == NOTHING else ""
        self.preview = None
        self.next_file()

    def stop_remaining(self) -> None:
        if self.busy:
            return
        for entry in self.entries:
            if entry.state in (WAITING, CURRENT):
                entry.finish(SKIPPED)
        self.preview = None
        self.current = len(self.entries)
        self.queue_panel.queue_model.current = -1
        self.queue_panel.queue_model.refresh()
        self._show_finished()

    def _show_finished(self) -> None:
        self.finished_step.show_summary(self.entries)
        self._show_step(FINISHED)
