"""Typing and validating values: dates, numbers, codes, kana, names; row-level reports."""

from __future__ import annotations

import io
import time
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.common import ISSUE_COLUMNS, Cancelled
from analysis.headers import map_headers
from analysis.specs import COLUMN_TYPES, FieldSpec
from analysis.textio import read_table
from analysis.values import (
    MISSING,
    find_duplicates,
    parse_columns,
    parse_date_text,
    parse_table,
    parse_time_text,
    parse_value,
    parser_for,
)


def col(type_: str, **kw: object) -> FieldSpec:
    return FieldSpec(key=str(kw.pop("key", "x")), label=str(kw.pop("label", "項目")),
                     type=type_, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-04-01", date(2022, 4, 1)),
        ("2022/4/1", date(2022, 4, 1)),
        ("2022.4.1", date(2022, 4, 1)),
        ("20220401", date(2022, 4, 1)),
        ("2022年4月1日", date(2022, 4, 1)),
        ("令和4年4月1日", date(2022, 4, 1)),
        ("R4.4.1", date(2022, 4, 1)),  # japanera read this as 1341
        ("r4.4.1", date(2022, 4, 1)),
        ("R04/04/01", date(2022, 4, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("Ｒ４．４．１", date(2022, 4, 1)),
        ("２０２２／０４／０１", date(2022, 4, 1)),
        ("㋿4年4月1日", date(2022, 4, 1)),
        ("44652", date(2022, 4, 1)),  # Excel serial
        ("44652.0", date(2022, 4, 1)),
        ("2022-04-01 00:00:00", date(2022, 4, 1)),
        ("2022-04-01 10:30", date(2022, 4, 1)),
        (" 2015/4/2 ", date(2015, 4, 2)),
    ],
)
def test_dates_are_read_in_every_format_schools_use(text: str, expected: date) -> None:
    assert parse_date_text(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12/5/1", "2桁"),
        ("22/4/1", "2桁"),
        ("1/5/2012", "順序"),
        ("平成31年5月1日", "平成"),  # the era had ended
        ("令和元年4月30日", "令和"),  # the era had not begun
        ("2022/2/30", "存在しない"),
        ("4/1", "年がありません"),
        ("2022年4月", "日がありません"),
        ("99999", "数値"),
        ("1850-01-01", "範囲外"),
        ("きのう", "読めません"),
    ],
)
def test_doubtful_dates_are_errors_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date_text(text)


def test_pandas_would_silently_read_a_two_digit_year_we_do_not() -> None:
    assert pd.Timestamp("12/5/1") == pd.Timestamp("2001-12-05")  # the trap
    value, error, code, _ = parse_value(col("date"), "12/5/1")
    assert value is None and code == "type" and error and "2桁" in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8:30", "08:30"), ("08:30:00", "08:30"), ("8時30分", "08:30"), ("8時", "08:00"),
     ("午後1時5分", "13:05"), ("午前12時", "00:00"), ("0830", "08:30"), ("0.375", "09:00"),
     ("１３：４５", "13:45")],
)
def test_times(text: str, expected: str) -> None:
    assert parse_time_text(text) == expected


def test_impossible_time() -> None:
    with pytest.raises(ValueError, match="存在しない"):
        parse_time_text("25:00")


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        ("int", "12", 12), ("int", "１２", 12), ("int", "1,234", 1234), ("int", "3.0", 3),
        ("int", "+5", 5), ("float", "36.5", 36.5), ("float", "１３２．５", 132.5),
        ("percent", "12.5%", 12.5), ("percent", "１２．５％", 12.5), ("percent", "7", 7.0),
        ("school_year", "2022", 2022), ("school_year", "2022年度", 2022),
        ("school_year", "令和4年度", 2022), ("school_year", "R4", 2022),
        ("school_year", "令和元年度", 2019), ("school_year", "H31年度", 2019),
        ("school_year", "平成30年度", 2018),
        ("month", "4", 4), ("month", "4月", 4), ("month", "０４", 4), ("month", "12月分", 12),
        ("grade", "3", 3), ("grade", "3年", 3), ("grade", "小3", 3), ("grade", "中1", 7),
        ("grade", "中学3年", 9), ("grade", "第2学年", 2),
    ],
)
def test_numbers(type_: str, text: str, expected: object) -> None:
    value, error, _, _ = parse_value(col(type_), text)
    assert error is None and value == expected


@pytest.mark.parametrize(
    ("type_", "text", "reason"),
    [("int", "3.5", "整数"), ("int", "NA", "数値"), ("int", "三", "数値"),
     ("month", "13", "1～12"), ("school_year", "4", "年度"), ("school_year", "平成32年度", "31年"),
     ("grade", "中4", "1～3"), ("float", "1,2", "数値")],
)
def test_number_errors(type_: str, text: str, reason: str) -> None:
    value, error, code, _ = parse_value(col(type_), text)
    assert value is None and error is not None and reason in error and code == "type"


def test_range_is_checked() -> None:
    days = col("int", min=0, max=31)
    assert parse_value(days, "32")[1:3] == ("範囲外の値です（0～31）。", "range")
    assert parse_value(days, "-1")[2] == "range"
    assert parse_value(col("int", min=0), "-1")[1] == "範囲外の値です（0以上）。"


def test_empty_is_missing_never_zero_and_a_dash_is_missing_with_a_warning() -> None:
    for type_ in ("int", "float", "percent", "date", "bool", "code", "name", "kana", "text"):
        assert parse_value(col(type_), "")[:2] == (None, None)
        assert parse_value(col(type_), " \u3000 ")[:2] == (None, None)
    value, error, _, warning = parse_value(col("int"), "－")
    assert value is None and error is None and warning and "空欄" in warning


# --------------------------------------------------------------- bool, enum, code, email


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), ("0", False), ("有", True), ("無", False), ("○", True), ("〇", True),
     ("×", False), ("はい", True), ("いいえ", False), ("該当", True), ("非該当", False),
     ("TRUE", True), ("false", False), ("１", True)],
)
def test_bools(text: str, expected: bool) -> None:
    assert parse_value(col("bool"), text)[0] is expected


def test_bool_error() -> None:
    assert parse_value(col("bool"), "たぶん")[2] == "type"


def test_enum_exact_after_nfkc_and_trim_with_registered_spellings_only() -> None:
    sex = col("enum", values=("男", "女"), required=True, value_synonyms=(("男子", "男"),))
    assert parse_value(sex, " 女 ")[0] == "女"
    assert parse_value(sex, "男子")[0] == "男"
    value, error, code, _ = parse_value(sex, "M")
    assert value is None and code == "enum" and error and "男、女" in error
    consult = col("enum", values=("教育相談", "SC", "SSW"), required=True)
    assert parse_value(consult, "ＳＳＷ")[0] == "SSW"
    assert parse_value(consult, "ssw")[0] == "SSW"
    assert parse_value(consult, "スクールカウンセラー")[2] == "enum"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("000123", "000123"), ("０００１２３", "000123"), (" 000123 ", "000123"),
     ("PREF_Q", "PREF_Q"), ("Q1-2", "Q1-2")],
)
def test_codes_keep_leading_zeros(text: str, expected: str) -> None:
    assert parse_value(col("code"), text)[0] == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1.23457E+11", "指数表記"), ("123.0", "小数点"), ("12\u200b3", "U+200B ゼロ幅スペース"),
     ("A\tB", "U+0009 タブ")],
)
def test_code_errors(text: str, reason: str) -> None:
    error = parse_value(col("code"), text)[1]
    assert error and reason in error


def test_email_and_list() -> None:
    assert parse_value(col("email"), " Taro.Y@School.Toda.jp ")[0] == "taro.y@school.toda.jp"
    assert parse_value(col("email"), "taro")[2] == "type"
    assert parse_value(col("list"), "３、４")[0] == "3,4"
    assert parse_value(col("list"), "とても")[2] == "type"


# ------------------------------------------------------------------------------ kana, names


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"), ("やまだ　たろう", "ヤマダ タロウ"),
     ("ヤマダ  タロウ", "ヤマダ タロウ"), ("ﾕ-ｷ", "ユーキ"), ("ゆうき", "ユウキ"),
     ("ヴァン ｸﾞｴﾝ", "ヴァン グエン")],
)
def test_kana_becomes_fullwidth_katakana(text: str, expected: str) -> None:
    assert parse_value(col("kana"), text)[0] == expected


def test_kana_with_kanji_is_an_error() -> None:
    assert parse_value(col("kana"), "山田 タロウ")[1] == "カナ以外の文字が含まれています。"


def test_names_keep_kanji_and_fix_widths_and_spaces_only() -> None:
    name = col("name")
    assert parse_value(name, " 髙橋 　﨑子 ")[0] == "髙橋　﨑子"
    assert parse_value(name, "葛\U000e0100城 太郎")[0] == "葛\U000e0100城　太郎"  # IVS kept
    assert parse_value(name, "ＳＭＩＴＨ　ﾀﾛｳ")[0] == "SMITH　タロウ"
    assert parse_value(name, "神谷 ①")[0] == "神谷　①"  # no NFKC on non-width characters


def test_gaiji_and_substitute_marks_in_names() -> None:
    _value, error, code, _ = parse_value(col("name"), "山\ue001 太郎")
    assert code == "gaiji" and error and "外字" in error
    _, error, _, warning = parse_value(col("name"), "〓田 太郎")
    assert error is None and warning and "〓" in warning


def test_text_is_trimmed_and_keeps_kanji() -> None:
    assert parse_value(col("text"), "  髙い熱　ｶｾﾞ  ")[0] == "髙い熱　カゼ"
    assert parse_value(col("text"), "NA")[0] == "NA"


# ------------------------------------------------------------------------- whole columns


ATTENDANCE = (
    FieldSpec("school_year", "年度", "school_year", required=True),
    FieldSpec("month", "月", "month", required=True),
    FieldSpec("address_code", "宛名番号", "code", ref="address_code",
              synonyms=("宛名コード",)),
    FieldSpec("name", "氏名", "name", ref="name"),
    FieldSpec("birth_date", "生年月日", "date", ref="birth_date"),
    FieldSpec("sex", "性別", "enum", ref="sex", values=("男", "女")),
    FieldSpec("absence_days", "欠席日数", "int", required=True, min=0, max=31),
    FieldSpec("truancy", "不登校", "bool"),
)


def test_parse_table_reports_rows_columns_values_and_reasons() -> None:
    csv = (
        "年度,月,宛名コード,氏名,生年月日,性別,欠席日数,不登校,メモ\n"
        "令和4年度,4月,000123,髙橋　太郎,H26.5.1,男,3,0,x\n"
        "2022,5,000123,髙橋　太郎,2014/5/1,男,,1,\n"
        "2022,13,000456,佐藤　花子,12/5/1,F,40,有,\n"
        "R4,6,NA,佐藤　花子,令和元年5月1日,女,０,無,\n"
    )
    raw = read_table(csv.encode("cp932"), filename="出欠.csv")
    mapping = map_headers(raw.headers, ATTENDANCE)
    parsed = parse_table(raw, mapping, ATTENDANCE)
    f = parsed.frame
    assert list(f.index) == [2, 3, 4, 5]
    assert f["school_year"].tolist() == [2022, 2022, 2022, 2022]
    assert str(f["absence_days"].dtype) == "Int64"
    assert f["absence_days"].isna().tolist() == [False, True, True, False]
    assert f["absence_days"].iloc[3] == 0
    assert f["birth_date"].iloc[0] == pd.Timestamp("2014-05-01")
    assert f["birth_date"].iloc[3] == pd.Timestamp("2019-05-01")
    assert f["address_code"].iloc[0] == "000123"
    assert f["truancy"].tolist() == [False, True, True, False]
    issues = parsed.issues
    assert list(issues.columns) == list(ISSUE_COLUMNS)
    errors = issues[issues["severity"] == "error"]
    got = {(r.row, r.column, r.value, r.code) for r in errors.itertuples()}
    assert got == {
        (3, "欠席日数", "", "required"),
        (4, "月", "13", "type"),
        (4, "生年月日", "12/5/1", "type"),
        (4, "欠席日数", "40", "range"),
    }
    unknown = issues[issues["code"] == "unknown_value"].iloc[0]  # optional: kept, reported
    assert (unknown["value"], unknown["severity"]) == ("F", "warning") and f["sex"].iloc[2] == "F"
    assert f["address_code"].iloc[3] == "NA"  # a code, kept as written (not "missing")
    assert all(isinstance(r, str) and r for r in errors["reason"])
    assert parsed.error_rows.tolist() == [3, 4]
    assert parsed.valid.tolist() == [True, False, False, True]
    notes = issues[issues["code"] == "unknown_column"]
    assert len(notes) == 1 and "メモ" in notes.iloc[0]["reason"]
    assert not parsed.blocking
    assert parsed.counts()["error_rows"] == 2


def test_values_under_an_empty_header_are_reported() -> None:
    raw = read_table("年度,月,宛名番号,欠席日数,\n2022,4,000123,1,メモ\n".encode(),
                     filename="a.csv")
    parsed = parse_table(raw, map_headers(raw.headers, ATTENDANCE), ATTENDANCE)
    issue = parsed.issues[parsed.issues["code"] == "unnamed_column"].iloc[0]
    assert "5列目" in issue["reason"] and issue["severity"] == "warning"


def test_missing_required_column_blocks_the_file() -> None:
    raw = read_table("月,宛名番号,欠席日数\n4,000123,1\n".encode(), filename="a.csv")
    mapping = map_headers(raw.headers, ATTENDANCE)
    parsed = parse_table(raw, mapping, ATTENDANCE)
    assert parsed.blocking
    assert "年度" in parsed.issues.loc[parsed.issues["code"] == "header", "reason"].iloc[0]


def test_codes_typed_as_numbers_in_excel_are_reported_not_padded() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["宛名番号", "年度", "月", "欠席日数"])
    for code in ["00012345", "00012346", "00012347", "00012348"]:
        ws.append([code, 2022, 4, 0])
    ws.append([12349, 2022, 4, 0])  # typed as a number: zeros lost
    buf = io.BytesIO()
    wb.save(buf)
    raw = read_table(buf.getvalue(), filename="a.xlsx")
    parsed = parse_table(raw, map_headers(raw.headers, ATTENDANCE), ATTENDANCE)
    assert parsed.frame["address_code"].iloc[-1] == "12349"  # not guessed
    short = parsed.issues[parsed.issues["code"] == "short_code"]
    assert short["row"].tolist() == [6] and "先頭の0" in short.iloc[0]["reason"]
    assert (parsed.issues["code"] == "numeric_code").sum() == 1


def test_rates_given_as_fractions_get_a_column_warning() -> None:
    rate = FieldSpec("welfare_rate", "就学援助率", "percent", min=0, max=100)
    texts = pd.DataFrame({"welfare_rate": ["0.12", "0.08", "0.2", "0.15"]})
    parsed = parse_columns(texts, [rate])
    assert parsed.issues.iloc[0]["code"] == "fraction_percent"


def test_find_duplicates_drops_exact_copies_and_reports_conflicts() -> None:
    frame = pd.DataFrame(
        {"address_code": ["1", "1", "1", "2", "3"], "month": [4, 4, 4, 4, 4],
         "absence_days": [0, 0, 2, 1, 1]},
        index=pd.Index([2, 3, 4, 5, 6], name="row"),
    )
    drop, issues = find_duplicates(frame, ["address_code", "month"],
                                   labels={"address_code": "宛名番号", "month": "月"})
    assert drop.tolist() == [False, True, False, False, False]
    note = issues[issues["code"] == "duplicate_row"].iloc[0]
    assert note["row"] == 3 and "2行目" in note["reason"] and note["severity"] == "note"
    conflicts = issues[issues["code"] == "duplicate_conflict"]
    assert conflicts["row"].tolist() == [2, 4]
    assert "4行目" in conflicts.iloc[0]["reason"] and "宛名番号・月" in conflicts.iloc[0]["reason"]


def test_parse_columns_progress_and_cancel() -> None:
    texts = pd.DataFrame({"month": ["4"] * 10, "absence_days": ["1"] * 10})
    seen: list[float] = []
    parse_columns(texts, ATTENDANCE, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        parse_columns(texts, ATTENDANCE, cancel=lambda: True)


# --------------------------------------------------------------------------- performance


def attendance_csv(n: int, seed: int = 0) -> bytes:
    """An attendance-like CP932 file: n rows, 15 columns (5 years × 12 months of a city)."""
    rng = np.random.default_rng(seed)
    pupils = max(1, n // 60)
    pid = rng.integers(0, pupils, n)
    frame = pd.DataFrame(
        {
            "年度": rng.choice(["2020", "2021", "令和4年度", "R5", "2024"], n),
            "月": rng.integers(1, 13, n).astype(str),
            "宛名番号": np.char.zfill(pid.astype(str), 8),
            "学校コード": (101 + pid % 18).astype(str),
            "学年": (1 + pid % 9).astype(str),
            "組": (1 + pid % 4).astype(str),
            "出席番号": (1 + pid % 35).astype(str),
            "氏名": np.array(["髙橋　太郎", "山﨑　花子", "佐藤　一郎", "鈴木　①"])[pid % 4],
            "授業日数": rng.integers(15, 23, n).astype(str),
            "欠席日数": rng.integers(0, 5, n).astype(str),
            "病気欠席": rng.integers(0, 3, n).astype(str),
            "事故欠席": np.where(rng.random(n) < 0.5, "", "0"),
            "出席停止忌引": rng.integers(0, 2, n).astype(str),
            "遅刻": rng.integers(0, 4, n).astype(str),
            "早退": rng.choice(["0", "１", "2"], n),
        }
    )
    return frame.to_csv(index=False).encode("cp932")


@pytest.mark.slow
def test_700k_attendance_rows_parse_and_validate_in_seconds() -> None:
    from storage.registry import default_registry  # tests may use the registry

    kind = default_registry().kind("attendance_monthly")
    data = attendance_csv(700_000)
    start = time.perf_counter()
    raw = read_table(data, filename="出欠.csv")
    mapping = map_headers(raw.headers, kind.columns)
    parsed = parse_table(raw, mapping, kind.columns)
    elapsed = time.perf_counter() - start
    assert mapping.ok and raw.row_count == 700_000
    assert parsed.counts()["errors"] == 0
    assert parsed.frame["address_code"].iloc[0].startswith("0")
    print(f"\n700,000 rows read+parsed+validated in {elapsed:.2f} s "
          f"({700_000 / elapsed:,.0f} rows/s)")
    assert elapsed < 30


@pytest.mark.parametrize("column_type", sorted(COLUMN_TYPES))
def test_every_column_type_has_a_parser_that_reads_a_blank(column_type: str) -> None:
    spec = FieldSpec("x", "列", column_type, values=("はい",) if column_type == "enum" else ())
    assert parser_for(spec)("  ") == MISSING
