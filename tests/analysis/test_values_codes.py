"""Codes are any printable text; 宛名番号 is digits; enum values outside the list; totals rows."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.headers import map_headers
from analysis.specs import FieldSpec
from analysis.textio import read_table
from analysis.totals import is_totals_word
from analysis.values import parse_columns, parse_table, parse_value, value_key
from storage.registry import default_registry

CODE = FieldSpec("item_code", "設問コード", "code", required=True)
DIGITS = FieldSpec("address_code", "宛名番号", "digits", ref="address_code")
SYMPTOM = FieldSpec("symptom", "症状区分", "enum", values=("内科", "外科", "心因", "その他"),
                    value_synonyms=(("けが", "外科"),))
SUBJECT = FieldSpec("subject", "教科", "enum", required=True, values=("国語", "算数"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("LESSON_わかる", "LESSON_わかる"), (" ＬＥＳＳＯＮ＿楽しい ", "LESSON_楽しい"),
     ("問１－２", "問1-2"), ("00012", "00012"), ("学習 意欲", "学習 意欲"), ("Q.3(a)", "Q.3(a)")],
)
def test_a_code_is_any_printable_text_nfkc_trimmed_with_leading_zeros(
    text: str, expected: str
) -> None:
    value, error, _, _ = parse_value(CODE, text)
    assert (value, error) == (expected, None)


@pytest.mark.parametrize(
    ("text", "named"),
    [("Q1\u200b", "U+200B ゼロ幅スペース"), ("Q\t1", "U+0009 タブ"), ("Q\x001", "U+0000 NUL 文字"),
     ("Q\ue0001", "U+E000 外字（私用領域の文字）"), ("Q\u202e1", "U+202E 書式制御文字")],
)
def test_a_code_refuses_only_unprintable_characters_and_names_them(text: str, named: str) -> None:
    value, error, code, _ = parse_value(CODE, text)
    assert value is None and code == "type"
    assert error == f"番号・コードに使えない文字（{named}）が含まれています。"


def test_a_code_still_refuses_numbers_excel_mangled() -> None:
    assert "指数表記" in str(parse_value(CODE, "1.23E+11")[1])
    assert "小数点" in str(parse_value(CODE, "123.0")[1])


def test_the_address_code_keeps_its_digits_only_rule() -> None:
    assert parse_value(DIGITS, "０００１２３")[0] == "000123"
    value, error, _, _ = parse_value(DIGITS, "00A123")
    assert value is None
    assert error == (
        "数字だけの番号です。数字以外の文字「A」（U+0041 LATIN CAPITAL LETTER A）が含まれています。"
    )
    assert "U+200B" in str(parse_value(DIGITS, "001\u200b")[1])


def test_registry_code_columns_accept_japanese_and_only_address_codes_are_digits() -> None:
    registry = default_registry()
    for kind in registry.kinds:
        for col in kind.columns:
            if col.key == "address_code":
                assert col.type == "digits", kind.name
            elif col.key in ("survey_code", "item_code", "school_code", "pref_id"):
                assert col.type == "code", (kind.name, col.key)
                assert parse_value(col, "LESSON_わかる")[1] is None


def test_an_optional_enum_keeps_an_unknown_value_as_written_with_one_warning_per_value() -> None:
    texts = pd.DataFrame({"symptom": ["内科", " 頭痛 ", "頭痛", "ＣＯＶＩＤ", "けが", "", "頭痛"]},
                         index=pd.RangeIndex(2, 9))
    parsed = parse_columns(texts, [SYMPTOM])
    assert parsed.frame["symptom"].tolist()[:5] == ["内科", "頭痛", "頭痛", "COVID", "外科"]
    assert parsed.error_rows.tolist() == []
    unknown = parsed.issues[parsed.issues["code"] == "unknown_value"]
    assert unknown["value"].tolist() == ["頭痛", "COVID"]  # most frequent first
    assert unknown["row"].isna().all() and (unknown["severity"] == "warning").all()
    first = unknown.iloc[0]["reason"]
    assert "（3行: 3、4、8行目）" in first and "内科、外科、心因、その他" in first


def test_the_row_list_of_an_unknown_value_is_cut_after_ten_rows() -> None:
    texts = pd.DataFrame({"symptom": ["頭痛"] * 25}, index=pd.RangeIndex(2, 27))
    reason = parse_columns(texts, [SYMPTOM]).issues.iloc[0]["reason"]
    assert "（25行: 2、3、4、5、6、7、8、9、10、11行目ほか）" in reason


def test_a_required_enum_refuses_an_unknown_value_and_lists_the_known_ones() -> None:
    value, error, code, _ = parse_value(SUBJECT, "道徳")
    assert value is None and code == "enum" and error and "（国語、算数）" in error


def test_the_source_own_spellings_map_values_in_optional_and_required_columns() -> None:
    texts = pd.DataFrame({"symptom": ["頭痛", "腹痛"], "subject": ["算数科", "国語"]})
    parsed = parse_columns(
        texts, [SYMPTOM, SUBJECT],
        value_maps={"symptom": {"頭痛": "内科"}, "subject": {" 算数科": "算数"}},
    )
    assert parsed.frame["symptom"].tolist() == ["内科", "腹痛"]
    assert parsed.frame["subject"].tolist() == ["算数", "国語"]
    assert value_key(" ＳＳＷ ") == "ssw"


def test_registered_value_spellings_point_at_known_values() -> None:
    symptom = default_registry().kind("health_room_visits").column("symptom")
    assert parse_value(symptom, "けが")[0] == "外科"
    assert parse_value(symptom, "心因性")[0] == "心因"
    sex = default_registry().kind("students").column("sex")
    assert parse_value(sex, "女子")[0] == "女"


@pytest.mark.parametrize(
    "text", ["合計", "合　計", "計", "小計", "平均", "総計", "【合計】", "計：", " 合計 "]
)
def test_totals_words_are_cells_that_are_exactly_such_a_word(text: str) -> None:
    assert is_totals_word(text)


@pytest.mark.parametrize("text", ["山田 計", "計算", "合計点", "", "平均的"])
def test_a_cell_that_only_contains_a_totals_character_is_not_a_totals_word(text: str) -> None:
    assert not is_totals_word(text)


ATTENDANCE = (
    FieldSpec("address_code", "宛名番号", "digits", ref="address_code"),
    FieldSpec("name", "氏名", "name", ref="name"),
    FieldSpec("school_year", "年度", "school_year", required=True),
    FieldSpec("month", "月", "month", required=True),
    FieldSpec("absence_days", "欠席日数", "int", required=True, min=0, max=31),
)


def test_totals_rows_are_left_out_with_a_note_each_and_pupils_named_kei_stay() -> None:
    csv = (
        "宛名番号,氏名,年度,月,欠席日数\n"
        "0000000001,山田 計,2024,4,1\n"
        "0000000002,計,2024,4,0\n"
        ",合計,,,1\n"
        "小 計,,,,1\n"
    )
    raw = read_table(csv.encode("cp932"), filename="出欠.csv")
    parsed = parse_table(raw, map_headers(raw.headers, ATTENDANCE), ATTENDANCE)
    assert parsed.frame.index.tolist() == [2, 3]
    assert parsed.frame["name"].tolist() == ["山田\u3000計", "計"]
    notes = parsed.issues[parsed.issues["code"] == "totals_row"]
    assert notes["row"].tolist() == [4, 5] and notes["value"].tolist() == ["合計", "小 計"]
    assert (notes["severity"] == "note").all()
    assert parsed.error_rows.tolist() == []


def test_the_bullying_form_lists_the_national_categories_and_keeps_other_wordings() -> None:
    form = default_registry().kind("bullying_records").column("kind")
    assert form.type == "enum" and not form.required and "その他" in form.values
    online = "パソコンや携帯電話等で、ひぼう・中傷や嫌なことをされる"
    assert parse_value(form, "ネットいじめ")[0] == online
    value, error, code, _ = parse_value(form, "物を隠された")
    assert (value, error, code) == ("物を隠された", None, "unknown_value")
