"""Value synonyms: values outside a column's list are mapped to listed ones in a dialog, saved
for the file's source, and the file is checked again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from ui.background import TaskContext
from ui.importing.value_map_dialog import ValueMapDialog

if TYPE_CHECKING:
    from ui.importing.wizard import ImportPage


class ValuesFlow:
    """値の対応付け… on the check's step."""

    def __init__(self, wizard: ImportPage) -> None:
        self.wizard = wizard

    def map_values(self) -> None:
        """Map values outside a column's list to listed ones, save them for the source and
        check the file again."""
        wizard = self.wizard
        preview, entry = wizard.preview, wizard.entry
        if preview is None or entry is None or entry.inspection is None or wizard.busy:
            return
        dialog = ValueMapDialog(preview.unknown_values, wizard)
        wizard.value_dialog = dialog
        importer, inspection = wizard.importer, entry.inspection

        def save() -> None:
            chosen = dialog.chosen()

            def task(_ctx: TaskContext) -> None:
                for column, values in chosen.items():
                    importer.save_value_map(inspection, column, dict(values))

            def saved(_nothing: None) -> None:
                dialog.accept()
                # After this operation has ended (its end clears the page's busy state).
                QTimer.singleShot(0, wizard.preview_flow.check)

            def refused(message: str) -> None:
                dialog.set_busy(False)
                dialog.show_error(message)

            dialog.set_busy(True)
            wizard.run(task, saved, "値の対応付けを保存しています…", on_user_error=refused)

        dialog.submitted.connect(save)
        dialog.open()
