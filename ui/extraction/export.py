"""Writing an extraction's result to a file: the path, the question before replacing a file,
and the export through the service (checked and audit-logged) on the page's task."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toda_desktop.export_files import ExportResult
from toda_desktop.export_purpose.catalog import EXTRACTION_RESULTS
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.formatting import format_count
from ui.export_flow import (
    PurposeQuestion,
    ask_save_path,
    chosen_format,
    confirm_overwrite,
    replaced_note,
    text_encoding,
    with_suffix,
)

if TYPE_CHECKING:
    from toda_desktop.extraction.service import ExtractionResult
    from ui.extraction.page import ExtractionPage


def ask_export_path(page: ExtractionPage, suffix: str, name: str) -> Path | None:
    return ask_save_path(page, "抽出結果を出力", name, chosen_format(page.results.format_combo))


def export_result(page: ExtractionPage) -> None:
    """The purpose first, then where to write the list."""
    result = page.result
    if result is None or not page.can_export:
        return
    pupils = len({r.pupil_id for r in result.rows})
    page.choose_purpose(PurposeQuestion(EXTRACTION_RESULTS.key, pupils),
                        lambda purpose: _export(page, result, purpose))


def _export(page: ExtractionPage, result: ExtractionResult, purpose: Purpose | None) -> None:
    fmt = chosen_format(page.results.format_combo)
    chosen = page.choose_export_path(fmt.suffix, result.name or "抽出結果")
    if chosen is None:
        return
    path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
    service = page.service

    def done(written: ExportResult) -> None:
        page.last_export = written
        page.show_status(f"{format_count(written.rows)}人分を出力しました: "
                         f"{written.path}{replaced_note(written)}", ok=True)

    def start(overwrite: bool) -> None:
        page.work(lambda _ctx: service.export(result, path, encoding, overwrite=overwrite,
                                              purpose=purpose),
                  done, "抽出結果を出力しています…")

    page.overwrite_question = confirm_overwrite(page, [path], start)
