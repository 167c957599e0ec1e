"""The shared export pieces every list page uses (format choice, file name, note)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from toda_desktop.export_files import ExportResult
from ui.export_flow import (
    CSV_SJIS,
    CSV_UTF8,
    EXPORT_FORMATS,
    XLSX,
    chosen_format,
    format_combo,
    replaced_note,
    text_encoding,
    with_suffix,
)

pytestmark = pytest.mark.gui


def test_every_page_offers_the_same_formats_in_japanese(qapp: QApplication) -> None:
    combo = format_combo()
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "CSV（UTF-8・Excel向け）", "CSV（Shift_JIS）", "Excel（.xlsx）"]
    assert chosen_format(combo) is CSV_UTF8  # the default opens correctly in Excel
    combo.setCurrentIndex(combo.findData("xlsx"))
    assert chosen_format(combo) is XLSX
    assert combo.accessibleName() == "出力の形式"


def test_the_file_name_gets_the_formats_suffix_once() -> None:
    assert with_suffix(Path("/tmp/一覧"), XLSX) == Path("/tmp/一覧.xlsx")
    assert with_suffix(Path("/tmp/一覧.XLSX"), XLSX) == Path("/tmp/一覧.XLSX")
    assert with_suffix(Path("/tmp/一覧.csv"), XLSX) == Path("/tmp/一覧.csv.xlsx")
    assert with_suffix(Path("/tmp/r.6.4"), CSV_SJIS) == Path("/tmp/r.6.4.csv")


def test_the_services_get_a_text_encoding_and_the_user_a_note() -> None:
    assert [text_encoding(f) for f in EXPORT_FORMATS] == ["utf-8-sig", "cp932", "utf-8-sig"]
    assert replaced_note(ExportResult(Path("a.csv"), 3, 0)) == ""
    assert replaced_note(ExportResult(Path("a.csv"), 3, 2)) == (
        "（Shift_JISで表せない文字2個を〓に置き換えました）")
