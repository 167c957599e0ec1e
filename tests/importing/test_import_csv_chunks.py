"""A CSV read in chunks (issue 10, point 10) shows and stores exactly what it did read whole.

The preview and the commit read a CSV again chunk by chunk (``chunk_rows`` records at a time)
after a scanning pass that keeps only file-level facts. The fixture is written by hand with
the irregularities of real files — a title row, blank rows, a 合計 row, repeated rows far
apart, values outside the symptom list (one of them in more than ten rows, so its warning
says 「ほか」), a bad date, an unknown pupil, a code that lost its zeros, a row wider than
the header, a control character, CP932 kanji — and chunk borders fall everywhere in it.
Each test runs twice: with the checked rows kept between the passes (a file this small) and
with the file read again on every pass (as a file too large to keep is).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import analysis.textio as textio
import toda_desktop.importing.chunks as chunks
import toda_desktop.importing.service as service
from tests.importing.test_import_chunks import _stored, _summary, stores
from toda_desktop.errors import OperationCancelled
from toda_desktop.importing.service import ImportPreview

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
__all__ = ["stores"]


@pytest.fixture(params=["kept", "read again"], autouse=True)
def passes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Whether the preview keeps the checked rows of a chunked file or reads it again."""
    if request.param == "read again":
        monkeypatch.setattr(chunks, "HOLD_BYTES", 0)
    return str(request.param)

LOG = (
    "保健室来室記録（令和6年度 第一小）\n"
    "\n"
    "宛名番号,氏名,来室日,来室時刻,退室時刻,症状\n"
    "0000100001,山田 太郎,2024/5/7,,,頭痛\n"
    "0000100002,佐藤 花子,R6.5.8,10:20,10:35,腹痛\n"
    "0000100002,佐藤 花子,R6.5.8,10:20,10:35,腹痛\n"
    "\n"
    + "".join(f"0000100003,鈴木 一郎,2024/6/{d},,,めまい\n" for d in range(1, 13))
    + "100004,髙橋 美咲,2024/5/9,,,発熱\n"  # lost zeros: short code, unknown pupil
    "0000100004,髙橋 美咲,2024/5/32,,,発熱\n"  # no such day
    "0000100001,山田 太郎,2024/5/7,,,頭痛\n"  # repeats the first row, far from it
    "0000100004,髙橋 美咲,2024/5/10,09:00,,頭痛,余分\n"  # wider than the header
    "9999999999,存在 しない,2024/5/15,,,頭痛\n"
    "0000100002,佐藤 花子,2024/5/20,,,歯\x01痛\n"  # a control character
    "合計,,,,,\n"
    "0000100004,髙橋 美咲,2024/5/10,09:00,,頭痛\n"
)


def _log(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "保健室来室記録_2024.csv"
    path.write_bytes(LOG.encode("cp932"))
    return path


def _sorted_summary(preview: ImportPreview) -> dict[str, Any]:
    """:func:`_summary` with the findings in one order (the whole-file checks list them
    column by column, the chunked ones chunk by chunk)."""
    out = _summary(preview)
    issues = pd.DataFrame(out["issues"]).astype(str)
    out["issues"] = issues.sort_values(list(issues.columns)).to_dict("records")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("keep_repeats", [False, True])
def test_a_csv_read_in_tiny_chunks_previews_and_stores_exactly_as_in_one_chunk(
    stores: Any, tmp_path: Path, keep_repeats: bool, passes: str
) -> None:
    path = _log(tmp_path / "files")
    register = [FIXTURES / "values" / "students.csv"]
    one_store = stores("one", register)
    one = one_store.importing.preview(one_store.importing.inspect(path), keep_repeats=keep_repeats)
    assert one.inspection.raw.streamed
    source = one.plan.source if one.plan is not None else None
    assert isinstance(source, chunks.StreamedRows)
    assert (source.held is not None) == (passes == "kept")
    codes = set(one.issues["code"])
    assert {"unlinked", "totals_row", "type", "unknown_value", "short_code", "ragged_row",
            "control_char", "repeated_row" if keep_repeats else "duplicate_row"} <= codes
    many = []
    for chunk in (1, 2, 5):
        signed = stores(f"chunks-{chunk}", register)
        signed.importing.chunk_rows = chunk
        many.append((signed, signed.importing.preview(signed.importing.inspect(path),
                                                     keep_repeats=keep_repeats)))
        assert _summary(many[-1][1]) == _summary(one)
    inserted = one_store.importing.commit(one, keep_repeats=keep_repeats).inserted
    assert inserted > 0
    for signed, preview in many:
        assert signed.importing.commit(preview, keep_repeats=keep_repeats).inserted == inserted
        assert _stored(signed, "ds_health_room_visits") == _stored(one_store,
                                                                   "ds_health_room_visits")


def test_a_csv_read_in_chunks_previews_and_stores_as_the_same_file_read_whole(
    stores: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunked reading against the whole-table reading it replaced (same findings, counts,
    rows to store; the findings compared in one order)."""
    path = _log(tmp_path / "files")
    register = [FIXTURES / "values" / "students.csv"]
    chunked = stores("chunked", register)
    chunked.importing.chunk_rows = 3
    streamed = chunked.importing.preview(chunked.importing.inspect(path))
    monkeypatch.setattr(service, "read_text_chunked",
                        lambda p, **kw: textio.read_table(p, **kw))
    held_store = stores("whole", register)
    held = held_store.importing.preview(held_store.importing.inspect(path))
    assert streamed.inspection.raw.streamed and not held.inspection.raw.streamed
    assert streamed.inspection.raw.row_count == held.inspection.raw.row_count
    assert _sorted_summary(streamed) == _sorted_summary(held)
    chunked.importing.commit(streamed)
    held_store.importing.commit(held)
    assert _stored(chunked, "ds_health_room_visits") == _stored(held_store,
                                                                "ds_health_room_visits")


@pytest.mark.parametrize("rows", [1, 2, 3, 7])
def test_a_csv_in_chunks_is_the_table_read_whole(tmp_path: Path, rows: int) -> None:
    """Each chunk's rows, values and reading findings (ragged rows, control characters)
    together are the whole table's; the header, notes and row count come from the scan."""
    path = _log(tmp_path)
    whole = textio.read_table(path)
    streamed = textio.read_text_chunked(path)
    assert streamed.chunks is not None
    parts = list(streamed.chunks(rows))
    assert (streamed.headers, streamed.header_row, streamed.notes, streamed.row_count) == (
        whole.headers, whole.header_row, whole.notes, whole.row_count)
    frame = pd.concat([p.frame.astype(object) for p in parts])
    pd.testing.assert_frame_equal(frame, whole.frame.astype(object))
    issues = pd.concat([p.issues for p in parts]).astype(str)
    assert (issues.sort_values(list(issues.columns)).to_dict("records")
            == whole.issues.astype(str).sort_values(list(issues.columns)).to_dict("records"))
    pd.testing.assert_frame_equal(streamed.frame.astype(object),
                                  whole.frame.iloc[:len(streamed.frame)].astype(object))


def test_a_chunked_csv_cancelled_during_its_commit_leaves_the_store_as_it_was(
    stores: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit reads a file too large to keep again, chunk by chunk, inside its one
    transaction: a cancel between chunks rolls all of it back."""
    monkeypatch.setattr(chunks, "HOLD_BYTES", 0)
    path = _log(tmp_path / "files")
    signed = stores("cancel", [FIXTURES / "values" / "students.csv"])
    signed.importing.chunk_rows = 2
    preview = signed.importing.preview(signed.importing.inspect(path))
    before = signed.importing.batches()
    asked = 0

    def cancel() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    with pytest.raises(OperationCancelled, match="データベースは変更されていません"):
        signed.importing.commit(preview, cancel=cancel)
    assert signed.importing.batches() == before
    assert _stored(signed, "ds_health_room_visits") == []
