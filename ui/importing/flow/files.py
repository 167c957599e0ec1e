"""Step 1 and the queue: choosing and reading the files (a workbook's sheets included), the
office's order, going from one file to the next, skipping, stopping and the summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from toda_desktop.errors import OperationCancelled, user_message
from ui import style
from ui.background import TaskContext
from ui.importing.models.files import (
    CURRENT,
    NOTHING,
    SKIPPED,
    UNREADABLE,
    WAITING,
    FileEntry,
    entries_of,
    in_import_order,
    sheet_choices,
    sheets_not_read,
)
from ui.importing.steps import FINISHED, MAPPING, PREVIEW
from ui.importing.widgets import FILE_FILTER, NO_PUPILS_TEXT, say

if TYPE_CHECKING:
    from toda_desktop.importing.service import FileInspection
    from ui.importing.wizard import ImportPage


class FilesFlow:
    """Which file (and sheet) the wizard works on, and what comes after it."""

    def __init__(self, wizard: ImportPage) -> None:
        self.wizard = wizard

    # -- choosing and reading the files ----------------------------------------------------

    def ask_files(self) -> list[Path]:
        names, _filter = QFileDialog.getOpenFileNames(self.wizard, "取り込むファイルを選ぶ", "",
                                                      FILE_FILTER)
        return [Path(n) for n in names]

    def pick_files(self) -> None:
        if self.wizard.busy:
            return
        paths = self.wizard.choose_files()
        if paths:
            self.open_files(paths)

    def open_files(self, paths: Sequence[Path]) -> None:
        """Read and recognize every chosen file (one background run), then start with the
        first in the office's order."""
        wizard = self.wizard
        importer, master = wizard.importer, wizard.master_kind
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

        say(wizard.start_step.start_status, "")
        wizard.run(task, self._files_read, "ファイルを読んでいます…",
                   on_user_error=lambda m: say(wizard.start_step.start_status, m))

    def _files_read(self, found: tuple[list[FileEntry], bool]) -> None:
        wizard = self.wizard
        entries, have_pupils = found
        ordered = in_import_order(entries)
        wizard.entries = ordered
        wizard.pupils_present = have_pupils
        wizard.queue_panel.queue_model.set_entries(ordered)
        notes = []
        css = style.NOTICE_TEXT
        if [id(e) for e in ordered] != [id(e) for e in entries]:
            notes.append("児童生徒基本情報・学校・在籍のファイルを先に取り込むよう、"
                         "順番を並べ替えました。")
        links = [e for e in ordered if e.inspection is not None and e.inspection.kind is not None
                 and e.inspection.kind.links_to_pupil]
        if links and not have_pupils and not any(e.kind_name == wizard.master_kind
                                                 for e in ordered):
            notes.append(NO_PUPILS_TEXT)
            css = style.ERROR_TEXT
        for entry in ordered:
            if entry.error:
                notes.append(f"「{entry.path.name}」は読めません: {entry.error}")
                css = style.ERROR_TEXT
        say(wizard.queue_panel.order_label, "\n".join(notes), css)
        wizard.current = -1
        self._advance()

    # -- from one file to the next ---------------------------------------------------------

    def next_file(self) -> None:
        """Go to the next file that is still waiting (or to the summary)."""
        if not self.wizard.busy:
            self._advance()

    def _advance(self) -> None:
        wizard = self.wizard
        for number in range(wizard.current + 1, len(wizard.entries)):
            if wizard.entries[number].state == WAITING:
                self._open_entry(number)
                return
        wizard.current = len(wizard.entries)
        wizard.queue_panel.queue_model.current = -1
        wizard.queue_panel.queue_model.refresh()
        self._show_finished()

    def _open_entry(self, number: int) -> None:
        wizard = self.wizard
        wizard.current = number
        wizard.queue_panel.queue_model.current = number
        entry = wizard.entries[number]
        entry.state = CURRENT
        wizard.queue_panel.queue_model.refresh()
        wizard.queue_panel.queue_table.scrollTo(wizard.queue_panel.queue_model.index(number, 0))
        wizard.preview = None
        wizard.mapping_flow.show_inspection()
        wizard.show_step(MAPPING)

    # -- the sheets of a workbook ----------------------------------------------------------

    def show_sheets(self, entry: FileEntry) -> None:
        step = self.wizard.mapping_step
        several = len(entry.sheets) > 1
        step.sheet_caption.setVisible(several)
        step.sheet_row.setVisible(several)
        step.sheet_combo.clear()
        for label, name in sheet_choices(entry, self.wizard.entries):
            step.sheet_combo.addItem(label, name)
        sheets = step.sheet_combo
        sheets.setCurrentIndex(max(0, sheets.findData(entry.sheet)))
        say(step.sheet_notes, "\n".join(
            f"シート「{name}」は読みませんでした: {why}"
            for name, why in sheets_not_read(entry, self.wizard.entries)))

    def sheet_chosen(self, _index: int) -> None:
        """Read another sheet of the workbook for this entry (its kind recognized anew)."""
        wizard = self.wizard
        entry = wizard.entry
        name = wizard.mapping_step.sheet_combo.currentData()
        if entry is None or entry.inspection is None or name is None:
            return
        if name == entry.inspection.sheet:
            return
        importer, path = wizard.importer, entry.path
        show_inspection = wizard.mapping_flow.show_inspection

        def task(ctx: TaskContext) -> FileInspection:
            return importer.inspect(path, sheet=name, progress=ctx.progress,
                                    cancel=ctx.cancelled)

        def done(inspection: FileInspection) -> None:
            entry.inspection, entry.sheet = inspection, inspection.sheet
            wizard.queue_panel.queue_model.refresh()
            wizard.mapping_step.file_title.setText(wizard.file_heading(entry))
            show_inspection()

        def refused(message: str) -> None:
            show_inspection()
            say(wizard.mapping_step.problems_label, message)

        wizard.run(task, done, "選んだシートを読んでいます…", on_user_error=refused,
                   on_cancelled=show_inspection)

    # -- skipping and the end --------------------------------------------------------------

    def skip_file(self) -> None:
        wizard = self.wizard
        entry = wizard.entry
        if entry is None or wizard.busy:
            return
        preview = wizard.preview if wizard.step == PREVIEW else None
        nothing = (preview is not None and not preview.blocking and not preview.has_changes
                   and not preview.counts.get("rejected") and not preview.counts.get("error_rows"))
        entry.finish(NOTHING if nothing else SKIPPED)
        entry.note = "取り込む新しい行はありませんでした。" if entry.state == NOTHING else ""
        wizard.preview = None
        self.next_file()

    def stop_remaining(self) -> None:
        wizard = self.wizard
        if wizard.busy:
            return
        for entry in wizard.entries:
            if entry.state in (WAITING, CURRENT):
                entry.finish(SKIPPED)
        wizard.preview = None
        wizard.current = len(wizard.entries)
        wizard.queue_panel.queue_model.current = -1
        wizard.queue_panel.queue_model.refresh()
        self._show_finished()

    def _show_finished(self) -> None:
        self.wizard.finished_step.show_summary(self.wizard.entries)
        self.wizard.show_step(FINISHED)
