"""Header normalization, mapping to column keys, and recognizing a file's dataset kind."""

from __future__ import annotations

import pytest

from analysis.headers import map_headers, normalize_header, recognize_kind
from storage.registry import default_registry

REGISTRY = default_registry()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("氏名（カナ）", "氏名(カナ)"),
        ("氏名 (カナ)", "氏名【カナ】"),
        ("ｼﾒｲ", "シメイ"),
        ("生年月日\n(西暦)", "生年月日（西暦）"),
        ("Ｇｏｏｇｌｅ　アカウント", "googleアカウント"),
        ("※氏名", "氏名*"),
        ("ふりがな", "フリガナ"),
        ("出席ＮＯ", "出席no"),
    ],
)
def test_header_variants_normalize_alike(a: str, b: str) -> None:
    assert normalize_header(a) == normalize_header(b)


def test_students_headers_map_by_label_and_synonyms() -> None:
    kind = REGISTRY.kind("students")
    headers = ["宛名番号（住基）", "児童氏名", "ｼﾒｲ", "生年月日(西暦)", "男女", "備考"]
    m = map_headers(headers, kind.columns)
    assert m.ok
    assert m.positions == {"address_code": 0, "name": 1, "name_kana": 2, "birth_date": 3,
                           "sex": 4}
    assert m.unknown == (5,)
    assert any("備考" in msg for msg in m.messages)


def test_missing_required_and_duplicate_columns_are_errors() -> None:
    kind = REGISTRY.kind("students")
    m = map_headers(["氏名", "児童生徒氏名", "宛名番号", "生年月日"], kind.columns)
    assert not m.ok
    assert m.positions["name"] == 0  # the exact label wins
    assert m.duplicates == (1,)
    assert set(m.missing_required) == {"name_kana", "sex"}
    assert any("氏名カナ" in e for e in m.errors)
    assert any("児童生徒氏名" in e and "どちら" in e for e in m.errors)


def test_header_with_a_note_in_brackets_is_inferred_and_must_be_confirmed() -> None:
    kind = REGISTRY.kind("students")
    m = map_headers(["宛名番号", "氏名", "氏名カナ", "生年月日（西暦8桁）", "性別"], kind.columns)
    assert m.ok and m.positions["birth_date"] == 3 and m.inferred == (3,)
    assert any("確認" in msg for msg in m.messages)


def test_a_saved_user_mapping_is_applied_first() -> None:
    kind = REGISTRY.kind("students")
    headers = ["個人コード", "なまえ", "よみ", "誕生日", "性別", "担任"]
    saved = {"個人コード": "address_code", "なまえ": "name", "よみ": "name_kana", "担任": None}
    m = map_headers(headers, kind.columns, saved)
    assert m.ok and m.positions["address_code"] == 0 and m.positions["name_kana"] == 2
    assert m.ignored == (5,) and m.unknown == ()


def test_pupil_datasets_need_a_person_reference() -> None:
    kind = REGISTRY.kind("attendance_monthly")
    base = ["年度", "月", "授業日数", "欠席日数", "遅刻", "早退"]
    assert map_headers([*base, "宛名番号"], kind.columns).ok
    assert map_headers([*base, "氏名", "生年月日"], kind.columns).ok
    assert map_headers([*base, "学校コード", "学年", "組", "出席番号"], kind.columns).ok
    m = map_headers([*base, "氏名"], kind.columns)
    assert not m.ok and m.missing_person_ref and any("特定する列" in e for e in m.errors)


@pytest.mark.parametrize("kind", REGISTRY.kinds, ids=lambda k: k.name)
def test_every_kind_is_recognized_from_its_own_headers(kind) -> None:  # type: ignore[no-untyped-def]
    headers = [c.label for c in kind.columns if c.required or c.ref is None]
    if kind.links_to_pupil and not any(c.ref == "address_code" for c in kind.columns
                                       if c.required):
        headers.append("宛名番号")
    guess = recognize_kind(headers, REGISTRY.kinds)
    assert guess.kind == kind.name, guess.explanation
    assert guess.confidence > 0.5


def test_recognition_of_a_messy_attendance_file_explains_itself() -> None:
    headers = ["対象年度", "月分", "宛名コード", "児童氏名", "出席すべき日数", "欠席数", "病欠",
               "遅刻回数", "早退回数", "備考"]
    guess = recognize_kind(headers, REGISTRY.kinds)
    assert guess.kind == "attendance_monthly"
    assert "出欠状況" in guess.explanation and "必須列 6/6" in guess.explanation
    assert guess.scores[0].kind == "attendance_monthly"
    assert guess.scores[0].score > guess.scores[1].score


def test_unrecognizable_headers() -> None:
    assert recognize_kind([], REGISTRY.kinds).kind is None
    guess = recognize_kind(["りんご", "みかん"], REGISTRY.kinds)
    assert guess.kind is None and guess.confidence == 0.0
