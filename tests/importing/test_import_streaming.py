"""Large files in bounded memory (issue 10, point 10): what streaming must not change.

A workbook is read in row batches (``textio.EXCEL_BATCH_ROWS``); these tests read the same
sheet in batches of a few rows and in one batch and compare the tables. The commit stores what
the preview checked, so a file changed on disk after the preview is refused (the batch names
the file's SHA-256 as its provenance) and the store is left as it was.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import analysis.textio as textio
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing import test_import_chunks as chunks
from tests.importing.test_import_chunks import HOKEN_EXTRA, _stored, _summary
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.store_setup import create_empty_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
stores = chunks.stores  # the chunk tests' factory of stores holding a register
HEADER = "宛名番号,年度,月,授業日数,欠席日数,病気欠席,遅刻,早退\n"
PUPILS = ["0000100001", "0000100002", "0000100003", "0000100004"]


def _workbook() -> bytes:
    """A sheet with a title row, empty leading columns, numbers and text in one column, a row
    wider than the header, blank rows and a 合計 row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C1"] = "出欠状況（令和6年度）"
    sheet.append([])
    sheet.append([None, None, "宛名番号", "年度", "月", "欠席日数"])
    for i in range(23):
        code: object = int(PUPILS[i % 4]) if i % 5 == 0 else PUPILS[i % 4]  # lost zeros
        sheet.append([None, None, code, 2024, 4 + i % 9, i % 3])
        if i == 7:
            sheet.append([])
        if i == 11:
            sheet.append([None, None, PUPILS[1], 2024, 5, 1, "余分"])
    sheet.append([None, None, "合計", None, None, 23])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_a_worksheet_read_in_small_row_batches_is_the_table_read_in_one(
    monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    data = _workbook()
    whole = textio.read_excel_table(data)
    monkeypatch.setattr(textio, "EXCEL_BATCH_ROWS", batch)
    parts = textio.read_excel_table(data)
    assert parts.headers == whole.headers and parts.header_row == whole.header_row == 3
    assert whole.headers[:4] == ("", "", "宛名番号", "年度")  # empty leading columns kept
    pd.testing.assert_frame_equal(parts.frame.astype(str), whole.frame.astype(str))
    assert whole.numeric is not None and parts.numeric is not None
    pd.testing.assert_frame_equal(parts.numeric, whole.numeric)
    assert int(whole.numeric[2].sum()) == 5  # the codes Excel holds as numbers
    pd.testing.assert_frame_equal(parts.issues, whole.issues)
    assert parts.notes == whole.notes


def _signed(folder: Path) -> tuple[Application, SignedIn]:
    store = folder / "city.tdb"
    store.parent.mkdir(parents=True)
    create_empty_store(store, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    students = FIXTURES / "values" / "students.csv"
    signed.importing.commit(signed.importing.preview(signed.importing.inspect(students)))
    return app, signed


def _attendance(months: tuple[int, ...]) -> str:
    return HEADER + "".join(f"{p},2024,{m},20,1,0,0,0\n" for m in months for p in PUPILS)


@pytest.mark.parametrize("change", ["rewritten", "appended", "deleted"])
def test_a_file_changed_after_its_preview_is_refused_and_the_store_is_left_as_it_was(
    tmp_path: Path, change: str
) -> None:
    app, signed = _signed(tmp_path / "store")
    try:
        path = tmp_path / "出欠_2024.csv"
        path.write_text(_attendance((4, 5, 6)), encoding="utf-8")
        preview = signed.importing.preview(signed.importing.inspect(path))
        assert preview.counts["new"] == 12
        if change == "rewritten":
            path.write_text(_attendance((7, 8, 9)), encoding="utf-8")
        elif change == "appended":
            with path.open("a", encoding="utf-8") as f:
                f.write(f"{PUPILS[0]},2024,10,20,0,0,0,0\n")
        else:
            path.unlink()
        batches_before = signed.importing.batches()
        with pytest.raises(UserFacingError, match="確認したあとに変更された") as raised:
            signed.importing.commit(preview)
        assert "データベースは変更されていません" in str(raised.value)
        assert signed.importing.batches() == batches_before
        stored = signed.store.db.call(
            lambda c: c.execute("SELECT count(*) FROM ds_attendance_monthly").fetchone()[0])
        assert stored == 0
    finally:
        app.close()


def test_the_same_file_saved_again_unchanged_commits(tmp_path: Path) -> None:
    """Only the content counts: a file written again with the same bytes is the same file."""
    app, signed = _signed(tmp_path / "store")
    try:
        path = tmp_path / "出欠_2024.csv"
        path.write_text(_attendance((4, 5)), encoding="utf-8")
        preview = signed.importing.preview(signed.importing.inspect(path))
        path.write_text(_attendance((4, 5)), encoding="utf-8")
        assert signed.importing.commit(preview).inserted == 8
    finally:
        app.close()


def _log_workbook(folder: Path) -> Path:
    """The health-room log of the chunk tests (repeats far apart, a 合計 row, an unknown pupil,
    a bad date, unknown symptoms) as a workbook, the 宛名番号 as text."""
    text = (FIXTURES / "values" / "hoken_2024.csv").read_bytes().decode("cp932") + HOKEN_EXTRA
    book = openpyxl.Workbook()
    sheet = book.active
    for line in text.replace("\r\n", "\n").strip().split("\n"):
        sheet.append(line.split(","))
    path = folder / "保健室来室記録_2024.xlsx"
    folder.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@pytest.mark.parametrize("keep_repeats", [False, True])
def test_a_workbook_read_and_checked_in_tiny_batches_previews_and_stores_as_in_one(
    stores: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_repeats: bool
) -> None:
    """Row batches of the reading and chunks of the checking both split the repeats, the
    totals row and the unknown values from their partners: nothing shown or stored changes."""
    path = _log_workbook(tmp_path / "files")
    register = [FIXTURES / "values" / "students.csv"]
    whole, split = stores("whole", register), stores("split", register)
    one = whole.importing.preview(whole.importing.inspect(path), keep_repeats=keep_repeats)
    monkeypatch.setattr(textio, "EXCEL_BATCH_ROWS", 2)
    split.importing.chunk_rows = 2
    many = split.importing.preview(split.importing.inspect(path), keep_repeats=keep_repeats)
    assert _summary(one) == _summary(many)
    assert {"unlinked", "totals_row", "type", "unknown_value",
            "repeated_row" if keep_repeats else "duplicate_row"} <= set(one.issues["code"])
    results = [s.importing.commit(p, keep_repeats=keep_repeats)
               for s, p in ((whole, one), (split, many))]
    assert results[0].inserted == results[1].inserted > 0
    assert _stored(whole, "ds_health_room_visits") == _stored(split, "ds_health_room_visits")
