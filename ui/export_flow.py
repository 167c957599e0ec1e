"""The one way a page saves a list to a file: the purpose of an identifiable export (asked
before the save dialog, with the lead's approval above the lead's number of pupils), the
format choice, the save dialog, the file name's suffix, the question before an existing
file is replaced, the encoding handed to the service, and the sentence that says what was
written. The service itself checks the ``export`` right, the purpose and the approval, logs
the export and writes only a new file unless told to overwrite."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QMessageBox, QWidget

from toda_desktop.export_files import ExportResult
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.export_purpose.service import ExportOptions
from toda_desktop.formatting import format_count
from ui.dialogs import confirm
from ui.export_purpose.dialog import PurposeDialog
from ui.page_task import PageTask


@dataclass(frozen=True)
class ExportFormat:
    key: str  # what the combo box carries: an encoding, or "xlsx"
    suffix: str
    label: str
    file_filter: str


CSV_UTF8 = ExportFormat("utf-8-sig", ".csv", "CSV（UTF-8・Excel向け）", "CSVファイル (*.csv)")
CSV_SJIS = ExportFormat("cp932", ".csv", "CSV（Shift_JIS）", "CSVファイル (*.csv)")
XLSX = ExportFormat("xlsx", ".xlsx", "Excel（.xlsx）", "Excelファイル (*.xlsx)")
EXPORT_FORMATS = (CSV_UTF8, CSV_SJIS, XLSX)
_BY_KEY = {f.key: f for f in EXPORT_FORMATS}


def export_format(key: str) -> ExportFormat:
    return _BY_KEY[key]


def format_combo(accessible_name: str = "出力の形式") -> QComboBox:
    """A combo box offering every format (CSV in UTF-8 first: Excel opens it correctly)."""
    combo = QComboBox()
    combo.setAccessibleName(accessible_name)
    for f in EXPORT_FORMATS:
        combo.addItem(f.label, f.key)
    return combo


def chosen_format(combo: QComboBox) -> ExportFormat:
    return export_format(str(combo.currentData()))


def text_encoding(fmt: ExportFormat) -> str:
    """The encoding argument of the services' export calls (unused for .xlsx, which they
    write by the file's suffix)."""
    return "utf-8-sig" if fmt is XLSX else fmt.key


def ask_save_path(parent: QWidget, title: str, stem: str, fmt: ExportFormat) -> Path | None:
    """The save dialog, proposing ``stem`` plus the format's suffix; None if cancelled. It
    does not ask about an existing file: ``confirm_overwrite`` does, once the suffix is
    known."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, stem + fmt.suffix, fmt.file_filter,
        options=QFileDialog.Option.DontConfirmOverwrite)
    return Path(chosen) if chosen else None


def confirm_overwrite(parent: QWidget, paths: Sequence[Path],
                      go: Callable[[bool], None]) -> QMessageBox | None:
    """Start the export with ``go(overwrite)``: at once with False when none of ``paths``
    exists (a new file), else after the user agreed in a question whose default is No
    (returned, non-blocking; "上書きしない" starts nothing)."""
    existing = [p for p in paths if os.path.lexists(p)]
    if not existing:
        go(False)
        return None
    if len(existing) == 1:
        text = f"「{existing[0].name}」は既にあります。上書きしますか？"
    else:
        names = "\n".join(f"・{p.name}" for p in existing[:5])
        more = f"\n・ほか{len(existing) - 5}個" if len(existing) > 5 else ""
        text = f"次の{len(existing)}個のファイルは既にあります。上書きしますか？\n{names}{more}"
    box = confirm(parent, "上書きの確認", text, lambda: go(True), yes_text="上書きする")
    box.button(QMessageBox.StandardButton.No).setText("上書きしない")
    _fit_lines(box, text)
    return box


MAX_QUESTION_WIDTH = 640  # px: well within a 1366×768 screen


def _fit_lines(box: QMessageBox, text: str) -> None:
    """Widen the question so that each line (a file name, 「…上書きしますか？」) stays on one
    line; the message box otherwise wraps at its narrow default width (found by QA)."""
    label = box.findChild(QLabel, "qt_msgbox_label")
    if label is None:
        return
    metrics = label.fontMetrics()
    widest = max(metrics.horizontalAdvance(line) for line in text.splitlines())
    label.setMinimumWidth(min(widest + metrics.averageCharWidth() * 2, MAX_QUESTION_WIDTH))


def with_suffix(path: Path, fmt: ExportFormat) -> Path:
    """The path the file is written to: the format's suffix added if the user left it out."""
    return path if path.suffix.lower() == fmt.suffix else path.with_name(path.name + fmt.suffix)


def replaced_note(result: ExportResult) -> str:
    """Said when Shift_JIS could not hold some characters (they were written as 〓)."""
    if not result.replaced_characters:
        return ""
    return f"（Shift_JISで表せない文字{result.replaced_characters}個を〓に置き換えました）"


# -- the purpose ------------------------------------------------------------------------------


class PurposeService(Protocol):
    """What the flow asks of ``ExportPurposeService``."""

    def options(self, export: str, pupils: int, scope: str = "") -> ExportOptions: ...

    def request(self, export: str, purpose: Purpose, pupils: int, scope: str = "") -> int: ...


@dataclass(frozen=True)
class PurposeQuestion:
    """One export about to be made: its catalogue key, its pupils (different pupils, not
    rows) and what an approval is bound to (``export_purpose.check.authorize``)."""

    export: str
    pupils: int
    scope: str = ""


# A page's way to run a service call off the GUI thread: (call, on_success, on_user_error).
Run = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[str], None]], None]
GoWithPurpose = Callable[[Purpose], None]


def requested_text(request_id: int, pupils: int) -> str:
    return (f"承認を依頼しました（依頼番号 {request_id}・{format_count(pupils)}人分）。"
            "事業全体総括職員が承認したら、同じ日のうちにもう一度出力してください。")


def ask_purpose(parent: QWidget, service: PurposeService, run: Run,
                question: PurposeQuestion, go: GoWithPurpose, tell: Callable[[str], None]
                ) -> None:
    """Load the lead's list (and usable approvals), ask, then ``go(purpose)`` — or file a
    request for approval and ``tell`` the page so. The dialog is a child of ``parent``
    (window-modal; the idle lock closes it with the window's dialogs)."""

    def ask(options: ExportOptions) -> None:
        dialog = PurposeDialog(options, question.pupils, parent)

        def submitted() -> None:
            purpose = dialog.purpose()
            if not dialog.requesting:
                dialog.accept()
                go(purpose)
                return
            dialog.set_busy(True)

            def filed(request_id: int) -> None:
                dialog.accept()
                tell(requested_text(request_id, question.pupils))

            def refused(message: str) -> None:
                dialog.set_busy(False)
                dialog.show_error(message)

            run(lambda: service.request(question.export, purpose, question.pupils,
                                        question.scope), filed, refused)

        dialog.submitted.connect(submitted)
        dialog.open()

    run(lambda: service.options(question.export, question.pupils, question.scope), ask, tell)


AskPurpose = Callable[[PurposeQuestion, Callable[[Purpose | None], None]], None]


def purpose_step(page: QWidget, service: PurposeService | None, task: PageTask,
                 tell: Callable[[str], None]) -> AskPurpose:
    """A page's ``choose_purpose`` (tests replace it): the dialog through ``task``; without
    the service (a page built for a role that cannot export) no purpose is asked, and the
    service refuses an identifiable export."""
    if service is None:
        return lambda _question, go: go(None)

    def run(call: Callable[[], Any], done: Callable[[Any], None],
            failed: Callable[[str], None]) -> None:
        task.run(lambda _ctx: call(), done, on_user_error=failed,
                 label="出力の目的を確かめています…")

    return lambda question, go: ask_purpose(page, service, run, question, go, tell)
