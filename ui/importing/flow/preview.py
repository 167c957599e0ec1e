"""Step 3: checking the file in the background and showing what the check found — the counts,
the findings with their export for the school, and what a commit would do (or why it can't)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toda_desktop.export_files import ExportResult
from toda_desktop.export_purpose.catalog import VALIDATION_REPORT
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.export_purpose.pupils import rows_cited_in
from toda_desktop.formatting import format_count
from toda_desktop.importing.findings import ReportLines
from ui import style
from ui.background import TaskContext
from ui.export_flow import (
    PurposeQuestion,
    ask_save_path,
    chosen_format,
    confirm_overwrite,
    export_format,
    replaced_note,
    text_encoding,
    with_suffix,
)
from ui.importing.models.preview import IssueLines, commit_summary, rows_to_import
from ui.importing.steps import PREVIEW
from ui.importing.widgets import NO_PUPILS_TEXT, n_rows, say

if TYPE_CHECKING:
    from toda_desktop.importing.service import ImportPreview
    from ui.importing.wizard import ImportPage


class PreviewFlow:
    """The check of the current file and the wording of its outcome."""

    def __init__(self, wizard: ImportPage) -> None:
        self.wizard = wizard
        self.step = wizard.preview_step

    # -- the check -------------------------------------------------------------------------

    def start_preview(self) -> None:
        """検証に進む: save changed header choices first, then check."""
        wizard = self.wizard
        if wizard.busy:
            return
        if wizard.mapping_step.mapping_model.dirty:
            wizard.mapping_flow.save_mapping(then=self.check)
            return
        self.check()

    def check(self) -> None:
        wizard = self.wizard
        entry = wizard.entry
        if entry is None or entry.inspection is None:
            return
        importer, inspection = wizard.importer, entry.inspection

        def task(ctx: TaskContext) -> tuple[ImportPreview, IssueLines]:
            preview = importer.preview(inspection, progress=ctx.progress, cancel=ctx.cancelled)
            # Each finding becomes a line of the table only when it is shown.
            return preview, IssueLines(ReportLines(preview.findings))

        def cancelled() -> None:
            say(wizard.mapping_step.mapping_notes,
                "検証を中止しました。データベースは変わっていません。")

        wizard.run(task, self._show_preview, "ファイルを検証しています…",
                   on_cancelled=cancelled,
                   on_user_error=lambda m: say(wizard.mapping_step.problems_label, m))

    def _show_preview(self, found: tuple[ImportPreview, IssueLines]) -> None:
        wizard = self.wizard
        preview, issues = found
        entry = wizard.entry
        assert entry is not None
        wizard.preview, wizard.issues = preview, issues
        self.step.show_preview(
            preview, issues, f"{wizard.file_heading(entry)}（{preview.kind.label}）",
            can_overwrite=wizard.can_overwrite)
        self.update_commit_text()
        wizard.show_step(PREVIEW)

    # -- what a commit would do ------------------------------------------------------------

    def update_commit_text(self) -> None:
        wizard, step = self.wizard, self.step
        preview = wizard.preview
        if preview is None:
            return
        counts = preview.counts
        overwrite = step.overwrite_check.isChecked()
        repeated = step.repeats_check.isChecked()
        repeats = int(counts.get("repeats", 0)) if repeated else 0
        writes = rows_to_import(counts, overwrite) + int(counts.get("review", 0)) + repeats
        if preview.blocking:
            say(step.preview_notice,
                "ファイル全体に関わるエラーがあるため、このファイルは取り込めません。"
                "検証結果を出力して提出元に渡し、直したファイルをもう一度取り込んでください。",
                style.ERROR_TEXT)
        elif not writes:
            if counts.get("identical", 0) and not counts.get("conflicts", 0):
                text = "このファイルの行はすべて取込済みです。取り込む新しい行はありません。"
            elif counts.get("conflicts", 0) and wizard.can_overwrite:
                text = ("新しく取り込む行はありません。値の異なる既存の記録を置き換えるときは、"
                        "「上書きする」を選んでください。")
            else:
                text = "取り込める行がありません。検証結果を確認してください。"
            rows = int(counts.get("rows", 0))
            if (not wizard.pupils_present and counts.get("rejected", 0) == rows and rows
                    and preview.kind.links_to_pupil):
                text = NO_PUPILS_TEXT
            say(step.preview_notice, text, style.NOTICE_TEXT)
        else:
            say(step.preview_notice, "")
        can = bool(writes) and not preview.blocking
        step.commit_button.setEnabled(can)
        say(step.commit_text, self.commit_sentence(overwrite) if can else "")

    def keep_repeats(self) -> bool:
        check = self.step.repeats_check
        return check.isChecked() and check.isVisible()

    def commit_sentence(self, overwrite: bool) -> str:
        preview = self.wizard.preview
        assert preview is not None
        text = commit_summary(preview.counts, overwrite)
        if self.step.repeats_check.isChecked():
            text += (f"すべての列が同じ行 {n_rows(int(preview.counts.get('repeats', 0)))}も、"
                     "繰り返しの記録として取り込みます。")
        return text

    # -- the findings for the school -------------------------------------------------------

    def ask_report_path(self, fmt: str) -> Path | None:
        entry = self.wizard.entry
        stem = Path(entry.path.name).stem if entry is not None else "取込"
        return ask_save_path(self.wizard, "検証結果を出力", f"{stem}_検証結果",
                             export_format(fmt))

    def export_report(self) -> None:
        """Write the validation report (all rows, whatever the filter shows) for the school."""
        wizard = self.wizard
        preview = wizard.preview
        if preview is None or wizard.busy:
            return
        # It holds the file's cell values (names, birth dates, IDs): its purpose first.
        cited = rows_cited_in(preview.findings.blocks(65_536))  # block by block (issue 10)
        wizard.choose_purpose(PurposeQuestion(VALIDATION_REPORT.key, cited),
                              lambda purpose: self._export_report(preview, purpose))

    def _export_report(self, preview: ImportPreview, purpose: Purpose | None) -> None:
        wizard, step = self.wizard, self.step
        fmt = chosen_format(step.report_format_combo)
        chosen = wizard.choose_report_path(fmt.key)
        if chosen is None:
            return
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        importer = wizard.importer

        def done(result: ExportResult) -> None:
            wizard.last_export = result
            note = replaced_note(result)
            say(step.export_status,
                f"検証結果 {format_count(result.rows)}件を出力しました: {result.path}{note}",
                style.OK_TEXT)

        def start(overwrite: bool) -> None:
            def task(_ctx: TaskContext) -> ExportResult:
                # Through the service: the export is checked and audit-logged.
                return importer.export_issues(preview, path, encoding, overwrite=overwrite,
                                              purpose=purpose)

            wizard.run(task, done, "検証結果を出力しています…",
                       on_user_error=lambda m: say(step.export_status, m, style.ERROR_TEXT))

        # (an existing file: asked in Japanese, default No; kept on the page for tests)
        wizard.overwrite_question = confirm_overwrite(wizard, [path], start)
