"""Workbooks with several sheets: every sheet whose header fits is read, every other sheet is
named with the reason, and every row of a read sheet ends in the store, the review queue or
the report with a reason (issue 10, point 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.importing.helpers import lead_on_new_store
from toda_desktop.composition import SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.importing.service import ImportPreview

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
HEADER = ["利用日", "宛名番号", "氏名", "入室時刻", "退室時刻", "症状区分"]


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    registers = [FIXTURES / n for n in ("students.csv", "schools.csv", "enrollments_2024.csv")]
    with lead_on_new_store(store_path, registers) as signed:
        yield signed


def _workbook(path: Path) -> dict[str, list[int]]:
    """The health room's workbook as a school keeps it: a month per sheet (one with a title
    row, Excel dates and times, a row in error, a pupil not on the register, a blank row),
    a sheet of instructions, an empty sheet and a hidden sheet of old data. Returns the
    Excel row numbers of the data rows of each sheet that should be read."""
    book = Workbook()
    april = book.active
    april.title = "4月"
    april.append(HEADER)
    april.append([datetime(2024, 4, 10), "0000101", "青木　一郎", time(10, 20), time(10, 35),
                  "内科"])
    april.append(["2024/4/11", "0000102", "井上　花子", "12:40", "13:05", "心因"])
    april.append(["2024/4/31", "0000103", "上田　健太", "9:05", "9:30", "外科"])  # no such day
    april.append([None] * 6)  # a blank row: not a data row
    april.append(["2024/4/12", "0009999", "戸田　太郎", "11:00", "11:20", "内科"])  # unknown
    may = book.create_sheet("5月")
    may.append(["令和6年5月　保健室来室記録"])
    may.append(HEADER)
    may.append([datetime(2024, 5, 8), "0000104", "江藤　美咲", time(8, 50), None, "その他"])
    may.append([datetime(2024, 5, 9), "0000105", "小川　翼", time(13, 0), time(13, 10), "内科"])
    notes = book.create_sheet("記入の注意")
    notes.append(["この表には、保健室に来た児童の記録を1行に1回ずつ書いてください。"])
    notes.append(["時刻は 24時間制で書きます。"])
    book.create_sheet("空")
    hidden = book.create_sheet("旧データ")
    hidden.append(HEADER)
    hidden.append([datetime(2023, 4, 10), "0000101", "青木　一郎", time(9, 0), time(9, 10),
                   "内科"])
    hidden.sheet_state = "hidden"
    book.save(path)
    return {"4月": [2, 3, 4, 6], "5月": [3, 4]}


def _stored_rows(signed: SignedIn, source_name: str) -> set[int]:
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT t.source_row FROM ds_health_room_visits t JOIN import_batches b"
        " ON b.id = t.batch_id WHERE b.source_name = ?", (source_name,)).fetchall())
    return {int(r[0]) for r in rows}


def _reasoned_rows(preview: ImportPreview) -> set[int]:
    issues = preview.issues
    with_reason = issues.loc[issues["row"].notna() & (issues["reason"].str.len() > 0)]
    return {int(r) for r in with_reason["row"]}


def test_every_row_of_every_fitting_sheet_is_stored_or_reported_with_a_reason(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = tmp_path / "保健室来室記録_2024.xlsx"
    expected = _workbook(path)
    inspections = signed.importing.inspect_sheets(path)
    assert [i.sheet for i in inspections] == ["4月", "5月"]
    assert all(i.kind is not None and i.kind.name == "health_room_visits" for i in inspections)
    for inspection in inspections:
        preview = signed.importing.preview(inspection)
        queued = {r[0] for r in preview.to_review}
        if preview.can_commit:
            signed.importing.commit(preview)
        stored = _stored_rows(signed, inspection.file_name)
        accounted = stored | queued | _reasoned_rows(preview)
        assert accounted >= set(expected[str(inspection.sheet)]), inspection.sheet
        errors = preview.issues.loc[preview.issues["severity"] == "error", "row"].dropna()
        assert not stored & {int(r) for r in errors}  # a row in error is never stored
    # The two months are two batches, each named with its sheet.
    names = [b.source_name for b in signed.importing.batches() if b.kind == "health_room_visits"]
    assert names == ["保健室来室記録_2024.xlsx（シート「4月」）",
                     "保健室来室記録_2024.xlsx（シート「5月」）"]
    assert _stored_rows(signed, names[0]) == {2, 3}
    assert _stored_rows(signed, names[1]) == {3, 4}


def test_a_sheet_not_read_is_named_with_its_reason_in_the_report(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = tmp_path / "保健室来室記録_2024.xlsx"
    _workbook(path)
    first, second = signed.importing.inspect_sheets(path)
    sheets = {s.name: s for s in first.sheets}
    assert [s.name for s in first.sheets] == ["4月", "5月", "記入の注意", "空", "旧データ"]
    assert sheets["4月"].read and sheets["5月"].read
    assert "どのデータの種類にも合いません" in sheets["記入の注意"].reason
    assert "内容がありません" in sheets["空"].reason
    assert "非表示のシート" in sheets["旧データ"].reason
    report = signed.importing.preview(first).issues
    notes = report.loc[report["code"] == "sheet_not_read", "reason"].tolist()
    assert len(notes) == 3
    assert all(n.startswith("シート「") and "読みませんでした" in n for n in notes)
    # Said once per file: the second sheet's report does not repeat them.
    assert second.sheet_notes == ()
    # inspect() alone gives the first sheet and names the other fitting one.
    alone = signed.importing.inspect(path)
    assert alone.sheet == "4月"
    assert "シート「5月」も読めますが、この取込には含まれません。" in alone.sheet_notes[-1]


def test_a_named_sheet_is_the_only_one_read_and_a_hidden_sheet_can_be_named(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = tmp_path / "保健室来室記録_2024.xlsx"
    _workbook(path)
    (only,) = signed.importing.inspect_sheets(path, sheet="5月")
    assert only.sheet == "5月" and only.raw.row_count == 2
    assert {s.name for s in only.sheets if not s.read} == {"4月", "記入の注意", "空", "旧データ"}
    hidden = signed.importing.inspect(path, sheet="旧データ")
    assert hidden.sheet == "旧データ" and hidden.raw.row_count == 1
    with pytest.raises(UserFacingError, match="シート「6月」はありません"):
        signed.importing.inspect(path, sheet="6月")
    with pytest.raises(UserFacingError, match="シートを指定できません"):
        signed.importing.inspect(FIXTURES / "students.csv", sheet="4月")


def test_a_workbook_whose_sheets_fit_nothing_opens_its_first_sheet_for_mapping(
    signed: SignedIn, tmp_path: Path
) -> None:
    book = Workbook()
    book.active.title = "集計"
    book.active.append(["りんご", "みかん"])
    book.active.append(["1", "2"])
    book.create_sheet("メモ").append(["ぶどう"])
    path = tmp_path / "集計表.xlsx"
    book.save(path)
    (inspection,) = signed.importing.inspect_sheets(path)
    assert inspection.sheet == "集計" and inspection.kind is None
    assert [n for n in inspection.sheet_notes] == [
        "シート「メモ」は読みませんでした: 見出しがどのデータの種類にも合いません。"]


def test_a_year_taken_from_the_visit_date_is_not_called_a_column_without_a_place(
    signed: SignedIn, tmp_path: Path
) -> None:
    """The health room has no 年度 column: its school year comes from 利用日. The note must
    say so, not that the 年度 is thrown away."""
    path = tmp_path / "hoken_nendo.csv"
    path.write_text("年度,利用日,宛名番号,入室時刻,症状\n2024,2024/6/3,0000101,10:20,内科\n",
                    encoding="cp932")
    inspection = signed.importing.inspect(path)
    assert inspection.kind is not None and inspection.kind.name == "health_room_visits"
    assert inspection.mapping is not None
    messages = "\n".join(inspection.mapping.messages)
    assert "見出し「年度」は「利用日」から求めるため、この列は読みません。" in messages
    assert "「年度」 は対応する列がない" not in messages
    reasons = signed.importing.preview(inspection).issues["reason"].tolist()
    assert not any("年度" in r and "対応する列がない" in r for r in reasons)
    assert "見出し「年度」は「利用日」から求めるため、この列は読みません。" in reasons
