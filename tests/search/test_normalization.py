"""What staff type becomes search keys: names, kana, IDs; and nothing becomes syntax."""

from __future__ import annotations

import pytest

from storage.repos.search import Term, grams
from toda_desktop.search.service import (
    id_forms,
    kana_search_key,
    name_search_key,
    parse_query,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("高橋", "髙橋　一郎"),  # はしご高
        ("山崎", "山﨑　さくら"),  # たつさき
        ("山崎", "山嵜　翼"),
        ("渡辺", "渡邊　翔"),
        ("渡辺", "渡邉　翔"),
        ("斎藤", "齋藤　恵"),
        ("斉藤", "齋藤　恵"),  # loose pair 斎/斉: found, ranked like any other match
        ("吉田", "𠮷田　健"),  # つちよし
        ("島田", "嶋田　陸"),
        ("さくら", "山﨑　さくら"),  # a hiragana given name, typed in katakana or hiragana
        ("サクラ", "山﨑　さくら"),
        ("山崎さくら", "山﨑　さくら"),  # without the space
        ("山崎 さくら", "山﨑　さくら"),
        ("ＡＮＮＡ", "Anna　Smith"),  # full-width latin, any case
        ("葛飾", "葛\U000e0100飾　花"),  # a variation selector is invisible
    ],
)
def test_name_keys_fold_what_staff_type_onto_what_is_stored(typed: str, stored: str) -> None:
    key = "".join(name_search_key(w) for w in typed.split())
    assert key in name_search_key(stored)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("たかはし", "タカハシ イチロウ"),
        ("ﾀｶﾊｼ", "タカハシ イチロウ"),  # half-width katakana
        ("タカハシイチロウ", "タカハシ イチロウ"),
        ("きょうこ", "キヨウコ"),  # legacy systems print small kana large
        ("ゆうま", "ユウマ"),
        ("ｷｮｳｺ", "キョウコ"),
    ],
)
def test_kana_keys(typed: str, stored: str) -> None:
    assert kana_search_key(typed) in kana_search_key(stored)


def test_keys_keep_letters_and_digits_only() -> None:
    assert name_search_key('"髙橋" OR *') == "高橋or"
    assert name_search_key("'; DROP TABLE ds_students; --") == "droptabledsstudents"
    assert kana_search_key("ヤマダ・タロウ") == "ヤマダタロウ"
    assert name_search_key("NEAR(山田 太郎)") == "near山田太郎"


def test_words_become_terms_and_kana_is_searched_only_for_kana() -> None:
    terms = parse_query("高橋　いちろう")  # an ideographic space splits words too
    assert [t.name for t in terms] == ["高橋", "イチロウ"]
    assert [t.kana for t in terms] == ["", "イチロウ"]
    assert parse_query("たかはし いちろう")[0].kana == "タカハシ"


def test_punctuation_alone_is_not_a_word() -> None:
    assert parse_query('"" * -- ( ) ; \' %') == []
    assert [t.name for t in parse_query('高橋* "')] == ["高橋"]


def test_digits_are_ids_with_and_without_leading_zeros() -> None:
    (term,) = parse_query("００１２３４５６７８")  # full-width digits
    assert ("address_code", "0012345678") in term.ids
    assert ("address_code", "12345678") in term.ids
    assert ("pref_id", "12345678") in term.ids
    assert term.id_prefixes == (("address_code", "0012345678"), ("pref_id", "0012345678"))
    assert term.name == "" and term.kana == ""
    (short,) = parse_query("123")
    assert short.id_prefixes == ()  # too short to be a useful prefix


def test_ids_a_role_may_not_see_are_not_searched() -> None:
    (term,) = parse_query("110001234", id_kinds=("address_code",))
    assert {k for k, _ in term.ids} == {"address_code"}
    (account,) = parse_query("s25000123", id_kinds=("address_code",))
    assert account.ids == () and account.name == "s25000123"


def test_google_accounts_with_or_without_domain() -> None:
    (term,) = parse_query("S25000123@Toda-Demo.ed.jp")
    assert ("google_account", "s25000123@toda-demo.ed.jp") in term.ids
    assert ("google_account", "s25000123") in term.ids
    assert id_forms("google_account", "s25000123@toda-demo.ed.jp") == (
        "s25000123@toda-demo.ed.jp", "s25000123")


def test_grams_for_one_and_two_character_queries() -> None:
    assert grams("林優") == "林 林優 優"
    assert grams("ヤマダ") == "ヤ ヤマ マ マダ ダ"
    assert grams("") == ""


def test_an_empty_term_is_empty() -> None:
    assert Term().empty
    assert not Term(name="林").empty
