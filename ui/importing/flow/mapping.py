"""Step 2: the recognized kind (how sure, and why), encoding and rows, and the header mapping —
changing the kind reads the file again, changed choices are saved per source with ``remap``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ui import style
from ui.background import TaskContext
from ui.importing.models.mapping import (
    MappingModel,
    column_choices,
    mapping_problems,
    mapping_rows,
)
from ui.importing.widgets import LOW_CONFIDENCE, WARNING_COLOR, n_rows, say

if TYPE_CHECKING:
    from toda_desktop.importing.service import FileInspection
    from ui.importing.wizard import ImportPage


class MappingFlow:
    """Shows the current file's inspection and keeps its header mapping."""

    def __init__(self, wizard: ImportPage) -> None:
        self.wizard = wizard
        self.step = wizard.mapping_step

    def show_inspection(self) -> None:
        wizard, step = self.wizard, self.step
        entry = wizard.entry
        assert entry is not None and entry.inspection is not None
        inspection: FileInspection = entry.inspection
        step.file_title.setText(wizard.file_heading(entry))
        kind = inspection.kind
        step.kind_combo.setCurrentIndex(max(step.kind_combo.findData(
            None if kind is None else kind.name), 0))
        guess = inspection.guess
        sure = round(guess.confidence * 100)
        if guess.kind is None:
            step.confidence_label.setText("")
        elif kind is not None and guess.kind != kind.name:
            step.confidence_label.setText("（選び直した種類）")
            step.confidence_label.setStyleSheet(style.MUTED)
        else:
            low = guess.confidence < LOW_CONFIDENCE
            step.confidence_label.setText(f"確からしさ {sure}%" + ("（要確認）" if low else ""))
            step.confidence_label.setStyleSheet(
                f"color: {WARNING_COLOR if low else style.OK_COLOR}; font-weight: bold;"
            )
        low = guess.kind is not None and guess.confidence < LOW_CONFIDENCE
        step.guess_label.setText(guess.explanation + (
            "\n確からしさが低いため、データの種類が正しいか確かめてください。" if low else ""))
        step.encoding_label.setText(inspection.encoding_label
                                    + (f"（シート「{inspection.raw.sheet}」）"
                                       if inspection.raw.sheet else ""))
        step.rows_label.setText(n_rows(inspection.raw.row_count))
        wizard.files_flow.show_sheets(entry)
        before = inspection.already_imported
        say(step.already_label, "" if before is None else (
            f"このファイルは既に取り込まれています（取込番号 {before.id}）。"
            "もう一度取り込んでも同じ行は増えません。新しく照合できた行だけを取り込みます。"
        ))
        rows = mapping_rows(inspection)
        choices = column_choices(kind) if kind is not None else []
        step.mapping_model.set_rows(rows, choices)
        if kind is not None:
            for row in range(len(rows)):
                step.mapping_table.openPersistentEditor(
                    step.mapping_model.index(row, MappingModel.CHOICE_COLUMN))
        self._show_messages()
        self.update_buttons()

    def _show_messages(self) -> None:
        step = self.step
        entry = self.wizard.entry
        inspection = None if entry is None else entry.inspection
        if inspection is None:
            return
        kind, mapping = inspection.kind, inspection.mapping
        if kind is None:
            say(step.problems_label, "データの種類を判断できませんでした。"
                "上の「データの種類」で、このファイルの種類を選んでください。")
            say(step.mapping_notes, "")
            return
        problems = mapping_problems(kind, step.mapping_model.rows)
        if not step.mapping_model.dirty and mapping is not None:
            local = {p.split("。")[0] for p in problems}
            problems += [e for e in mapping.errors if e.split("。")[0] not in local
                         and not e.startswith("必須の列")]
        say(step.problems_label, "\n".join(problems))
        notes = []
        if step.mapping_model.dirty:
            notes.append("変更した対応はまだ保存されていません。「この対応を保存」を押すと、"
                         "この提出元のファイルを次に取り込むときも同じ対応で読みます。")
        elif mapping is not None:
            notes += [m for m in mapping.messages if m not in mapping.errors]
        say(step.mapping_notes, "\n".join(notes))

    def mapping_edited(self, *_args: object) -> None:
        self._show_messages()
        self.update_buttons()

    def update_buttons(self) -> None:
        step, busy = self.step, self.wizard.busy
        entry = self.wizard.entry
        inspection = None if entry is None else entry.inspection
        kind = None if inspection is None else inspection.kind
        dirty = step.mapping_model.dirty
        rows = step.mapping_model.rows
        problems = [] if kind is None else mapping_problems(kind, rows)
        service_errors = bool(inspection is not None and inspection.mapping is not None
                              and inspection.mapping.errors)
        step.save_mapping_button.setEnabled(kind is not None and dirty and not busy)
        step.to_preview_button.setText("対応を保存して検証に進む" if dirty else "検証に進む")
        step.to_preview_button.setEnabled(
            kind is not None and not problems and (dirty or not service_errors) and not busy
        )

    def kind_chosen(self, _index: int) -> None:
        """Read the file again as the kind the user chose."""
        wizard, step = self.wizard, self.step
        entry = wizard.entry
        name = step.kind_combo.currentData()
        if entry is None or entry.inspection is None or name is None:
            return
        if entry.inspection.kind is not None and entry.inspection.kind.name == name:
            return
        importer, path = wizard.importer, entry.path
        sheet = entry.sheet

        def task(ctx: TaskContext) -> FileInspection:
            return importer.inspect(path, name, sheet=sheet, progress=ctx.progress,
                                    cancel=ctx.cancelled)

        def done(inspection: FileInspection) -> None:
            entry.inspection = inspection
            wizard.queue_panel.queue_model.refresh()
            self.show_inspection()

        def refused(message: str) -> None:
            self.show_inspection()
            say(step.problems_label, message)

        wizard.run(task, done, "選んだ種類で読み直しています…", on_user_error=refused,
                   on_cancelled=self.show_inspection)

    def save_mapping(self, then: Callable[[], None] | None = None) -> None:
        """``remap``: apply the choices and remember them for this source."""
        wizard, step = self.wizard, self.step
        entry = wizard.entry
        if entry is None or entry.inspection is None or entry.inspection.kind is None:
            return
        importer, inspection = wizard.importer, entry.inspection
        kind_name = str(inspection.kind.name)
        saved = step.mapping_model.saved_form()

        def done(updated: FileInspection) -> None:
            entry.inspection = updated
            self.show_inspection()
            messages = updated.mapping.messages if updated.mapping is not None else ()
            say(step.mapping_notes,
                "見出しの対応を保存しました。この提出元のファイルは、次回から同じ対応で読みます。"
                + ("\n" + "\n".join(messages) if messages else ""))
            if then is not None and updated.mapping is not None and not updated.mapping.errors:
                then()

        wizard.run(lambda _ctx: importer.remap(inspection, kind_name, saved), done,
                   "見出しの対応を保存しています…",
                   on_user_error=lambda m: say(step.problems_label, m), writes=True)
