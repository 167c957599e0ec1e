"""QA of the form layouts and instruments (issue 10): files written by hand as a tester found
them — a Q-U export whose round is only in its title, an AiGROW export with a 受検者ID column,
a visit log ending in a 件数 row, and a months-as-columns workbook whose month headers Excel
stores as numbers shown as 「4月」.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.layouts import months_from_numbers, round_in_text
from analysis.totals import is_totals_word, totals_rows
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing.test_real_file_layouts import import_base
from toda_desktop.composition import Application, SignedIn
from toda_desktop.importing.service import ImportPreview, issue_rows
from toda_desktop.store_setup import create_empty_store


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    import_base(signed)
    yield signed
    app.close()


def preview_of(signed: SignedIn, path: Path) -> ImportPreview:
    return signed.importing.preview(signed.importing.inspect(path))


def reasons(preview: ImportPreview) -> list[str]:
    return [str(r[4]) for r in issue_rows(preview)]


def write_cp932(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    return path


def qu_lines(title: str, last_group: str = "侵害行為認知群") -> list[str]:
    """A Q-U class list as the school exports it: a title row, no 回 column, a 平均 row."""
    return [
        f"Ｑ－Ｕ　学級満足度尺度　結果一覧（{title}）,,,,,,,",
        "学校コード,学年,組,番号,氏名,承認得点,被侵害得点,群",
        "1101,3,1,1,髙橋　花子,40,14,学級生活満足群",
        "1101,3,1,2,佐藤　太郎,22,31,学級生活不満足群",
        "1101,3,1,3,鈴木　一郎,25,15,非承認群",
        f"1101,3,1,4,田中　美咲,38,28,{last_group}",
        ",,,,平均,31.3,22,",
    ]


def rounds_stored(signed: SignedIn) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(
        "SELECT round, item_code, answer FROM ds_survey_responses"
        " WHERE survey_code = 'QU' AND item_code = 'GROUP' ORDER BY 1, 3").fetchall())


# -- 1. the round of a Q-U export ------------------------------------------------------------


def test_the_round_is_read_from_titles_and_file_names_in_their_usual_spellings() -> None:
    assert round_in_text("Ｑ－Ｕ結果一覧（令和6年度　第1回）") == 1
    assert round_in_text("令和６年度　第２回　学級満足度") == 2
    assert round_in_text("QU_けやき小_5年1組_2回目.csv") == 2
    assert round_in_text("第二回 hyper-QU") == 2
    assert round_in_text("QU_けやき小_5年1組.csv") is None  # 5年1組 is no round
    assert round_in_text("1回のみ.csv") is None


def test_a_second_round_named_only_in_the_title_is_new_answers_not_a_change_of_the_first(
    signed: SignedIn, tmp_path: Path,
) -> None:
    first = write_cp932(tmp_path / "QU_けやき小_5年1組.csv", qu_lines("令和6年度　第1回"))
    preview = preview_of(signed, first)
    assert any("表題の「第1回」を回として読みました" in r for r in reasons(preview))
    assert preview.can_commit
    signed.importing.commit(preview)
    second_dir = tmp_path / "round2"
    second_dir.mkdir()
    second = write_cp932(second_dir / "QU_けやき小_5年1組.csv",
                         qu_lines("令和６年度　第２回", last_group="学級生活満足群"))
    again = preview_of(signed, second)
    assert again.counts["new"] == 12
    assert again.counts["identical"] == 0 and again.counts["conflicts"] == 0
    signed.importing.commit(again)
    stored = rounds_stored(signed)
    assert (1, "GROUP", "侵害行為認知群") in stored and (2, "GROUP", "学級生活満足群") in stored
    assert len(stored) == 8


def test_the_round_in_the_file_name_is_used_when_the_title_has_none(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = write_cp932(tmp_path / "QU_けやき小_5年1組_第２回.csv", qu_lines("令和6年度"))
    preview = preview_of(signed, path)
    assert any("ファイル名の「第2回」を回として読みました" in r for r in reasons(preview))
    signed.importing.commit(preview)
    assert {r[0] for r in rounds_stored(signed)} == {2}


def test_an_export_without_any_round_is_imported_with_a_warning_saying_so(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = write_cp932(tmp_path / "QU_けやき小_5年1組.csv", qu_lines("令和6年度"))
    preview = preview_of(signed, path)
    warned = preview.issues[preview.issues["code"] == "layout_round"]
    assert len(warned) == 1 and (warned["severity"] == "warning").all()
    assert "何回目の結果かが分かりません" in str(warned["reason"].iloc[0])
    assert preview.can_commit  # the answers are not lost; the user is told the round is blank


def test_a_round_column_in_the_file_wins_and_no_round_is_taken_from_the_title(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = write_cp932(tmp_path / "QU_第1回.csv", [
        "Ｑ－Ｕ結果（令和6年度　第1回）,,,,,,",
        "学校コード,学年,組,番号,実施回,承認得点,群",
        "1101,3,1,1,2,40,学級生活満足群",
    ])
    preview = preview_of(signed, path)
    assert not any("回として読みました" in r for r in reasons(preview))
    assert not (preview.issues["code"] == "layout_round").any()
    signed.importing.commit(preview)
    assert rounds_stored(signed) == [(2, "GROUP", "学級生活満足群")]


# -- 2. an ID column in an AiGROW export -------------------------------------------------------


def test_an_id_column_of_an_aigrow_export_is_left_unread_not_taken_for_a_score(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = write_cp932(tmp_path / "AiGROW_2024_第一中_第1回.csv", [
        "受検者ID,学校コード,学校名,学年,組,番号,氏名,自己効力感,協働性,担任確認",
        "119786748,2101,第一中学校,2,1,1,山本　健太,55,61,済",
        "119786749,2101,第一中学校,2,1,2,渡邉　結衣,38,42,済",
    ])
    preview = preview_of(signed, path)
    assert not (preview.issues["code"] == "range").any(), reasons(preview)
    note = next(r for r in reasons(preview) if "設問ではない列" in r)
    assert "「受検者ID」" in note and "「担任確認」" in note
    assert preview.counts["new"] == 4 and preview.can_commit
    signed.importing.commit(preview)
    items = signed.store.db.call(lambda c: c.execute(
        "SELECT DISTINCT item_code FROM ds_survey_responses ORDER BY 1").fetchall())
    assert items == [("COLLABORATION",), ("SELF_EFFICACY",)]


# -- 4. a 件数 row ------------------------------------------------------------------------------


def test_count_words_are_totals_only_as_a_whole_cell() -> None:
    for word in ("件数", "人数", "合計人数", "延べ", "延べ人数", "【件数】", "件 数："):
        assert is_totals_word(word), word
    for text in ("人数確認済", "件数多め", "延べ日数10日", "人"):
        assert not is_totals_word(text), text


def test_a_count_row_under_a_visit_log_is_skipped_and_a_pupil_row_never_is() -> None:
    frame = pd.DataFrame({
        0: ["2024/5/1", "2024/5/1", "", "2024/5/2"],
        1: ["0000100001", "0000100002", "", "0000100003"],
        2: ["頭痛", "腹痛", "件数", "人数"],  # a pupil's cell holding a count word
        3: ["", "人数確認済", "2", ""],
    }, index=[2, 3, 4, 5])
    assert totals_rows(frame, id_positions=[1]).tolist() == [4]


def test_a_nurse_office_log_ending_in_a_count_row_imports_its_visits(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = write_cp932(tmp_path / "保健室来室記録_第一小.csv", [
        "来室日,宛名番号,氏名,来室時刻,退室時刻,症状",
        "2024/5/1,0000100001,髙橋　花子,10:00,10:20,頭痛",
        "2024/5/1,0000100002,佐藤　太郎,11:00,11:15,腹痛",
        ",,件数,,,2",
    ])
    preview = preview_of(signed, path)
    assert preview.counts["new"] == 2 and preview.can_commit, reasons(preview)
    assert preview.counts.get("totals_rows") == 1


# -- 5. month headers stored as numbers ----------------------------------------------------


def test_a_run_of_the_twelve_school_months_as_numbers_is_read_as_months() -> None:
    numbers = ["学校コード", "氏名", *[str(m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)],
               "計"]
    headers = months_from_numbers(numbers)
    assert headers is not None and headers[2] == "4月" and headers[13] == "3月"
    assert headers[14] == "計" and headers[:2] == ("学校コード", "氏名")
    assert months_from_numbers(["番号", "1", "2", "3", "4", "5"]) is None
    assert months_from_numbers(["氏名", *[str(m) for m in range(1, 13)]]) is None  # not 4..3


def test_an_xlsx_whose_month_headers_are_numbers_shown_as_months_imports(
    signed: SignedIn, tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["令和6年度　月別欠席日数（第一小学校　3年1組）"])
    months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    sheet.append(["学校コード", "学年", "組", "出席番号", "氏名", *months, "計"])
    for cell in sheet[2][5:17]:
        cell.number_format = '0"月"'
    sheet.append([1101, 3, 1, 1, "髙橋　花子", 0, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 4])
    sheet.append([1101, 3, 1, 2, "佐藤　太郎", 2, 3, 5, 4, 0, 6, 8, 9, 7, 10, 1, 0, 55])
    path = tmp_path / "月別欠席日数_第一小.xlsx"
    book.save(path)
    preview = preview_of(signed, path)
    assert preview.kind.name == "attendance_monthly", reasons(preview)
    notes = reasons(preview)
    assert any("月として読みました" in r for r in notes)
    assert any("2人分の12か月、24行" in r for r in notes)
    assert preview.counts["new"] == 24 and preview.can_commit
    signed.importing.commit(preview)
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT a.month, a.absence_days FROM ds_attendance_monthly a JOIN ds_students p"
        " ON p.id = a.pupil_id WHERE p.address_code = '0000100002' ORDER BY 1").fetchall())
    assert (1, 10) in rows and (4, 2) in rows and len(rows) == 12


# -- 3. junior-high grades written 1–3 or 7–9 ----------------------------------------------


def test_a_junior_high_grade_written_as_chu_2_links_to_a_register_holding_2(
    signed: SignedIn, tmp_path: Path,
) -> None:
    # The register (tests/fixtures/layouts/enrollments.csv) holds 第一中 (中学校) grades as 2.
    path = write_cp932(tmp_path / "AiGROW_2024_第一中_第1回.csv", [
        "学校コード,学年,組,番号,自己効力感,協働性",
        "2101,中2,1,1,55,61",
        "2101,中２,1,2,38,42",
    ])
    preview = preview_of(signed, path)
    assert preview.counts["auto_linked"] == 4 and not preview.to_review, reasons(preview)
    assert preview.can_commit


def test_a_junior_high_grade_written_2_links_to_a_register_holding_8_but_not_at_a_primary(
    signed: SignedIn, tmp_path: Path,
) -> None:
    register = write_cp932(tmp_path / "在籍_2024_第一中3年.csv", [
        "年度,学校コード,学年,組,出席番号,宛名番号,氏名",
        "2024,2101,9,2,1,0000100003,鈴木　一郎",  # 中3 written as 9
    ])
    signed.importing.commit(preview_of(signed, register))
    path = write_cp932(tmp_path / "QU_2024_第一中3年2組_第1回.csv", [
        "学校コード,学年,組,番号,承認得点,群",
        "2101,3,2,1,40,学級生活満足群",
        "1101,9,1,1,40,学級生活満足群",  # a primary school has no 9th grade: not linked
    ])
    preview = preview_of(signed, path)
    assert preview.counts["auto_linked"] == 2, reasons(preview)
    signed.importing.commit(preview)
    got = signed.store.db.call(lambda c: c.execute(
        "SELECT p.address_code, r.item_code FROM ds_survey_responses r"
        " JOIN ds_students p ON p.id = r.pupil_id ORDER BY 2").fetchall())
    assert got == [("0000100003", "APPROVAL"), ("0000100003", "GROUP")]
