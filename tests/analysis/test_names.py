"""Name and kana keys: strict folding of the same character, loose pairs only for scoring."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.names import (
    LOOSE_VARIANTS,
    STRICT_VARIANTS,
    kana_key,
    kana_keys,
    loose_kana_key,
    loose_name_key,
    name_key,
    name_keys,
    normalize_name,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("variant", "common"),
    [("髙橋", "高橋"), ("山﨑", "山崎"), ("山嵜", "山崎"), ("渡邉", "渡辺"), ("渡邊", "渡辺"),
     ("齋藤", "斎藤"), ("齊藤", "斉藤"), ("𠮷田", "吉田"), ("濵田", "濱田")],
)
def test_strict_key_folds_forms_of_the_same_character(variant: str, common: str) -> None:
    assert name_key(variant + "　太郎") == name_key(common + " 太郎")


@pytest.mark.parametrize(("a", "b"), [("斎藤", "斉藤"), ("嶋田", "島田"), ("龍也", "竜也"),
                                      ("澤田", "沢田"), ("濱田", "浜田")])
def test_confusable_but_different_names_match_only_loosely(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)
    assert loose_name_key(a) == loose_name_key(b)


def test_tables_do_not_overlap_and_old_forms_keep_their_own_character() -> None:
    assert not set(STRICT_VARIANTS) & set(LOOSE_VARIANTS)
    assert name_key("齋藤") != name_key("齊藤")  # 齋 is old 斎, 齊 is old 斉: still different
    assert loose_name_key("齋藤") == loose_name_key("齊藤")


def test_strict_key_removes_spaces_variation_selectors_and_fixes_widths() -> None:
    assert name_key("葛\U000e0100城　 太郎") == name_key("葛城太郎")
    assert name_key("辻\ufe00 太郎") == "辻太郎"
    assert name_key("ＳＭＩＴＨ　ｼﾞｮﾝ") == name_key("SMITH ジョン")
    assert name_key("グエン・ヴァン") == name_key("グエン ヴァン")


def test_stored_name_keeps_the_legal_form() -> None:
    assert normalize_name("  髙橋　　﨑子 ") == "髙橋　﨑子"
    assert normalize_name("髙橋 﨑子") == "髙橋　﨑子"


@pytest.mark.parametrize(
    ("a", "b"),
    [("キョウコ", "キヨウコ"), ("ｷｮｳｺ", "キョウコ"), ("きょうこ", "キョウコ"),
     ("ヤマダ タロウ", "ヤマダ　タロウ"), ("ユ-キ", "ユーキ"), ("ヰヨ", "イヨ")],
)
def test_kana_key(a: str, b: str) -> None:
    assert kana_key(a) == kana_key(b)


def test_loose_kana_key_ignores_long_vowels_and_ji_zu_variants() -> None:
    assert kana_key("ユーコ") != kana_key("ユコ")
    assert loose_kana_key("ユーコ") == loose_kana_key("ユコ")
    assert loose_kana_key("ミチヅキ") == loose_kana_key("ミチズキ")
    assert loose_kana_key("ヴァイオリン") == loose_kana_key("バイオリン")


def test_vectorized_keys_match_scalar_ones() -> None:
    names = pd.Series(["髙橋 太郎", None, "髙橋　太郎", ""])
    assert name_keys(names).tolist() == ["高橋太郎", "", "高橋太郎", ""]
    assert kana_keys(pd.Series(["ﾀｶﾊｼ"])).tolist() == ["タカハシ"]


def test_kana_is_never_derived_from_kanji() -> None:
    source = "\n".join(p.read_text("utf-8") for p in (ROOT / "analysis").rglob("*.py"))
    for lib in ("pykakasi", "cutlet", "fugashi", "MeCab", "sudachipy"):
        assert f"import {lib}" not in source
