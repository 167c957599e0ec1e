"""Step 4: the confirmation that says in plain words what will happen, the commit on the
worker (a write: a late 中止 never misreports it), and the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui import style
from ui.background import TaskContext
from ui.dialogs import confirm
from ui.importing.models.files import IMPORTED, WAITING
from ui.importing.steps import RESULT
from ui.importing.widgets import say

if TYPE_CHECKING:
    from toda_desktop.importing.service import ImportResult
    from ui.importing.wizard import ImportPage


class CommitFlow:
    """取り込む: confirm, commit, show the result and tell the window what was imported."""

    def __init__(self, wizard: ImportPage) -> None:
        self.wizard = wizard

    def ask_commit(self) -> None:
        wizard = self.wizard
        preview, step = wizard.preview, wizard.preview_step
        if preview is None or wizard.busy or not step.commit_button.isEnabled():
            return
        check = step.overwrite_check
        overwrite = check.isChecked() and check.isVisible()
        keep_repeats = wizard.preview_flow.keep_repeats
        wizard.confirmation = confirm(
            wizard,
            "取込の確認",
            f"「{preview.inspection.file_name}」（{preview.kind.label}）\n\n"
            + wizard.preview_flow.commit_sentence(overwrite),
            lambda: self.commit(overwrite, keep_repeats()),
            yes_text="取り込む",
            informative="取り込んだあとでも「取込履歴」から取り消せます。",
        )

    def commit(self, overwrite: bool = False, keep_repeats: bool = False) -> None:
        wizard = self.wizard
        preview, entry = wizard.preview, wizard.entry
        if preview is None or entry is None:
            return
        importer, notice = wizard.importer, wizard.preview_step.preview_notice

        def task(ctx: TaskContext) -> ImportResult:
            return importer.commit(preview, overwrite=overwrite, keep_repeats=keep_repeats,
                                   progress=ctx.progress, cancel=ctx.cancelled)

        def cancelled() -> None:
            say(notice, "取込を中止しました。データベースは変わっていません。", style.NOTICE_TEXT)

        wizard.run(task, self._committed, "取り込んでいます…", on_cancelled=cancelled,
                   on_user_error=lambda m: say(notice, m, style.ERROR_TEXT), writes=True)

    def _committed(self, result: ImportResult) -> None:
        wizard = self.wizard
        entry = wizard.entry
        assert entry is not None
        entry.result = result
        entry.finish(IMPORTED)
        wizard.last_result = result
        if entry.kind_name == wizard.master_kind:
            wizard.pupils_present = True
        wizard.queue_panel.queue_model.refresh()
        last = not any(e.state == WAITING for e in wizard.entries[wizard.current + 1:])
        wizard.result_step.show_result(entry.display_name, result, last=last)
        wizard.show_step(RESULT)
        wizard.result_step.next_button.setFocus()
        wizard.imported.emit(entry.kind_name)
