"""A file with a finding on every row (issue 10, point 10: memory whatever the file holds).

The preview holds its findings compact (``importing.findings``: codes into distinct texts, a
few bytes a finding) and the validation report is written as its lines are built. These
tests check that what the user sees is what the plain tables gave: the same lines in the same
order, the same report bytes, and that a finding costs a few bytes, not hundreds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from analysis.common import concat_issues, issues_frame
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application, SignedIn
from toda_desktop.export_files import CSV_BLOCK_LINES, csv_bytes, write_csv
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.importing.findings import join_issues, report_lines
from toda_desktop.importing.service import ISSUE_HEADER, SEVERITY_LABELS, issue_rows
from toda_desktop.store_setup import create_empty_store

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PUPILS = ["0000100001", "0000100002", "0000100003", "0000100004"]
HEADER = "宛名番号,年度,月,授業日数,欠席日数,病気欠席,遅刻,早退\n"
ROWS = 2_400  # more than four chunks of CHUNK below
CHUNK = 500


@pytest.fixture()
def signed(tmp_path: Path) -> Iterator[SignedIn]:
    store = tmp_path / "city.tdb"
    create_empty_store(store, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store)
    try:
        me = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
        register = FIXTURES / "values" / "students.csv"
        me.importing.commit(me.importing.preview(me.importing.inspect(register)))
        me.importing.chunk_rows = CHUNK
        yield me
    finally:
        app.close()


def _damaged(folder: Path) -> tuple[Path, list[tuple[int, str, str, str]]]:
    """An attendance file sent back wrong on every row, in turn: an unknown 宛名番号, 欠席日数
    as words, 授業日数 above a month's days, 遅刻 as a date; and per row (file row, column,
    value, code) of the finding it must give."""
    lines, expected = [], []
    for i in range(ROWS):
        pupil, year, month = PUPILS[i % 4], 2000 + i // 48, (3 + (i // 4) % 12) % 12 + 1
        cells = [pupil, str(year), str(month), "20", "1", "0", "0", "0"]
        turn = i % 4
        if turn == 0:
            cells[0] = "99" + pupil
            expected.append((i + 2, "", "", "unlinked"))
        elif turn == 1:
            cells[4] = "不明"
            expected.append((i + 2, "欠席日数", "不明", "type"))
        elif turn == 2:
            cells[3] = "45"
            expected.append((i + 2, "授業日数", "45", "range"))
        else:
            cells[6] = "2024/05/01"
            expected.append((i + 2, "遅刻", "2024/05/01", "type"))
        lines.append(",".join(cells))
    path = folder / "出欠_誤り.csv"
    path.write_bytes((HEADER + "\n".join(lines) + "\n").encode("cp932"))
    return path, expected


def test_a_finding_on_every_row_is_reported_once_each_in_row_order(
        signed: SignedIn, tmp_path: Path) -> None:
    path, expected = _damaged(tmp_path)
    preview = signed.importing.preview(signed.importing.inspect(path))
    lines = issue_rows(preview)
    assert [(r[1], r[2], r[3]) for r in lines] == [(row, col, value)
                                                  for row, col, value, _ in expected]
    assert list(preview.issues["code"].astype(str)) == [code for *_, code in expected]
    assert {r[0] for r in lines} == {path.name}
    assert {r[5] for r in lines} == {"エラー"}
    assert preview.counts["rejected"] == ROWS // 4
    assert preview.counts["error_rows"] == 3 * ROWS // 4
    assert not preview.can_commit


def test_a_finding_costs_a_few_bytes_not_a_copy_of_its_texts(
        signed: SignedIn, tmp_path: Path) -> None:
    path, _ = _damaged(tmp_path)
    preview = signed.importing.preview(signed.importing.inspect(path))
    used = int(preview.issues.memory_usage(index=True, deep=True).sum())
    # a nullable row number (9 bytes) and a byte for each of seven texts; the distinct
    # texts once (a few kilobytes for the whole table)
    assert used / len(preview.issues) < 24, used


def test_the_report_written_as_it_is_built_has_the_bytes_of_the_report_built_whole(
        signed: SignedIn, tmp_path: Path) -> None:
    path, _ = _damaged(tmp_path)
    preview = signed.importing.preview(signed.importing.inspect(path))
    signed.export_purposes.set_threshold(100_000)  # (a bulk report: no approval asked here)
    for encoding in ("utf-8-sig", "cp932"):
        out = tmp_path / f"検証結果_{encoding}.csv"
        result = signed.importing.export_issues(preview, out, encoding, purpose=PURPOSE)
        whole, count, _ = csv_bytes(ISSUE_HEADER, issue_rows(preview), encoding)
        assert out.read_bytes() == whole
        assert result.rows == count == ROWS


def _plain_report(frames: list[pd.DataFrame]) -> list[list[object]]:
    """The report's lines as the plain tables gave them (before findings were compact)."""
    frame = concat_issues(frames).sort_values(["row"], na_position="first", kind="stable")
    return [["f", "" if pd.isna(r["row"]) else int(r["row"]), r["column"] or "", r["value"],
             r["reason"], SEVERITY_LABELS.get(str(r["severity"]), str(r["severity"]))]
            for r in frame.to_dict("records")]


def test_joined_findings_read_as_the_plain_tables_did() -> None:
    frames = [
        issues_frame([5, 3, 9], "absence_days", "欠席日数", ["不明", "x", "不明"],
                     "数値として読めません。", "error", "type"),
        issues_frame([None], None, None, "", "見出し「備考」は取り込みません。", "note",
                     "header"),
        issues_frame([3, 4], None, None, "", ["宛名番号が台帳に見つかりません。", "別の理由"],
                     "error", "unlinked"),
        issues_frame([2, 9], "month", "月", ["13", ""], "範囲外の値です（1～12）。",
                     "warning", "range"),
        issues_frame([], None, None, [], "", "note", ""),
    ]
    plain = _plain_report(frames)
    joined = join_issues(frames)
    joined.insert(0, "file", "f")
    assert list(report_lines(joined)) == plain
    # joined again with more (as notes are added to a preview): the same as plain again
    more = issues_frame([None, 4], None, None, "", "既に取り込まれています。", "note", "again")
    again = join_issues([joined.drop(columns="file"), more])
    again.insert(0, "file", "f")
    assert list(report_lines(again)) == _plain_report([*frames, more])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_a_csv_written_a_block_at_a_time_has_the_bytes_of_one_built_whole(
        tmp_path: Path, encoding: str) -> None:
    rows = [[i, f"行{i}", "=SUM(A1)" if i % 7 == 0 else "-3", "𠮷野家" if i % 5 == 0 else "吉"]
            for i in range(2 * CSV_BLOCK_LINES + 17)]
    header = ["番号", "名前", "式", "字"]
    written = write_csv(tmp_path / "out.csv", header, iter(rows), encoding)
    whole, count, replaced = csv_bytes(header, rows, encoding)
    assert (tmp_path / "out.csv").read_bytes() == whole
    assert (written.rows, written.replaced_characters) == (count, replaced)
    assert replaced == (len(range(0, len(rows), 5)) if encoding == "cp932" else 0)
