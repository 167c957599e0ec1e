"""The order of search hits: what staff typed, read as a name from its start, comes first
(issue 16: 「タカハシ　ユ」 listed シュン and ヒュウガ before ユア)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.search.helpers import add_rows, sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.search.service import SearchService
from toda_desktop.store_setup import create_empty_store

STUDENTS = [
    ("0000000001", "高橋　瞬", "タカハシ シュン"),
    ("0000000002", "高橋　日向", "タカハシ ヒュウガ"),
    ("0000000003", "高橋　結愛", "タカハシ ユア"),
    ("0000000004", "高橋　優斗", "タカハシ ユウト"),
    ("0000000005", "由井　孝", "ユイ タカシ"),
    ("0000000006", "高橋　ゆう", "タカハシ ユウ"),
]


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedIn]:
    path = tmp_path_factory.mktemp("ranking") / "town.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    signed = sign_in(path, LEAD_LOGIN, LEAD_PASSWORD)
    add_rows(signed.store, "students", [
        {"address_code": a, "name": n, "name_kana": k, "birth_date": "2015-04-0" + a[-1],
         "sex": "男"} for a, n, k in STUDENTS])
    yield signed
    signed.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """The module's town lives for the whole module; its fixture closes it."""


def kana(signed: SignedIn, query: str) -> list[str]:
    return [h.name_kana for h in SearchService(signed.context).search(query).hits]


@pytest.mark.parametrize("query", ["タカハシ　ユ", "たかはし ゆ", "ﾀｶﾊｼ ﾕ"])
def test_family_name_then_the_start_of_the_given_name_lists_those_given_names_first(
    town: SignedIn, query: str,
) -> None:
    found = kana(town, query)
    # ユア, ユウ, ユウト start with ユ; シュン and ヒュウガ only contain it (small ュ as ユ).
    assert found[:3] == ["タカハシ ユア", "タカハシ ユウ", "タカハシ ユウト"]
    assert set(found[3:]) == {"タカハシ シュン", "タカハシ ヒュウガ"}


def test_the_whole_name_typed_in_two_words_is_an_exact_hit(town: SignedIn) -> None:
    hits = SearchService(town.context).search("タカハシ ユウ").hits
    assert hits[0].name_kana == "タカハシ ユウ" and hits[0].exact
    assert hits[1].name_kana == "タカハシ ユウト" and not hits[1].exact


def test_a_name_that_starts_with_the_first_word_comes_before_one_that_contains_it(
    town: SignedIn,
) -> None:
    found = kana(town, "タカ")
    assert found[-1] == "ユイ タカシ"  # タカ in the middle of the name
    assert all(k.startswith("タカハシ") for k in found[:-1])


def test_kanji_words_in_order_rank_like_kana(town: SignedIn) -> None:
    names = [h.name for h in SearchService(town.context).search("高橋 結").hits]
    assert names == ["高橋　結愛"]
    names = [h.name for h in SearchService(town.context).search("高橋 ゆ").hits]
    assert names[0] == "高橋　ゆう"  # 高橋ユ… by its name; the others only by their kana
