"""Pupil search on a hand-made town: names, kana, variants, IDs, filters, safety, audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.repos import search as search_repo
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N, copy_store
from tests.search.helpers import add_rows, demo_sessions, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.search.keys import refresh_pending, refresh_search_index
from toda_desktop.search.service import SearchFilters, SearchService
from toda_desktop.store_setup import create_empty_store

STUDENTS = [
    ("0000012345", "髙橋　一郎", "タカハシ イチロウ", "2014-05-01", "男"),
    ("0000012346", "高橋　花子", "タカハシ ハナコ", "2015-06-02", "女"),
    ("0000022222", "山﨑　さくら", "ヤマザキ サクラ", "2013-07-03", "女"),
    ("0000033333", "渡邊　翔", "ワタナベ ショウ", "2014-08-04", "男"),
    ("0000044444", "林　優", "ハヤシ ユウ", "2016-01-05", "男"),
    ("0000055555", "小林　優子", "コバヤシ ユウコ", "2015-02-06", "女"),
    ("0000066666", "齋藤　恵", "サイトウ メグミ", "2014-03-07", "女"),
    ("0000077777", "𠮷田　健", "ヨシダ ケン", "2013-09-08", "男"),
    ("0000088888", "スミス　アンナ", "スミス アンナ", "2014-10-09", "女"),
    ("0000099999", "山田　太郎", "ヤマダ タロウ", "2012-11-10", "男"),
    ("0000100000", "田中　太郎", "タナカ タロウ", "2013-12-11", "男"),
]
SCHOOLS = [("11101", "さくら小学校", "小学校"), ("11102", "けやき小学校", "小学校"),
           ("11201", "東中学校", "中学校")]


def _enrollments() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, (address, *_rest) in enumerate(STUDENTS):
        for year in (2024, 2025):
            rows.append({
                "address_code": address, "school_year": year, "school_code": "11101",
                "grade": 4 + (year - 2024), "class_name": str(1 + i % 2), "seat_number": i + 1,
                "pref_id": f"11{i + 1:07d}", "google_account": f"s24{i + 1:06d}@toda-demo.ed.jp",
            })
    # 山田 太郎 moved up to the junior high in 2025; 山﨑 さくら changed school in 2025.
    for r in rows:
        if r["address_code"] == "0000099999" and r["school_year"] == 2025:
            r.update(school_code="11201", grade=7, class_name="2", seat_number=5)
    rows.append({"address_code": "0000022222", "school_year": 2025, "school_code": "11102",
                 "grade": 5, "class_name": "2", "seat_number": 9, "pref_id": "110000003",
                 "google_account": "s24000003@toda-demo.ed.jp"})
    return rows


def build_town(signed: SignedIn) -> None:
    store = signed.store
    add_rows(store, "students", [
        dict(zip(("address_code", "name", "name_kana", "birth_date", "sex"), s, strict=True))
        for s in STUDENTS])
    add_rows(store, "schools", [
        {"school_code": c, "school_name": n, "school_type": t} for c, n, t in SCHOOLS])
    add_rows(store, "enrollments", _enrollments())


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedIn]:
    path = tmp_path_factory.mktemp("town") / "town.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    signed = sign_in(path, LEAD_LOGIN, LEAD_PASSWORD)
    build_town(signed)
    yield signed
    signed.sign_out()


@pytest.fixture
def fresh_town(store_path: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    signed = sign_in(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    build_town(signed)
    yield signed
    signed.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """The module's town lives for the whole module; its fixture closes it."""


def names(signed: SignedIn, query: str, filters: SearchFilters | None = None) -> list[str]:
    return [h.name for h in SearchService(signed.context).search(query, filters).hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("高橋", {"髙橋　一郎", "高橋　花子"}),
        ("髙橋", {"髙橋　一郎", "高橋　花子"}),
        ("たかはし", {"髙橋　一郎", "高橋　花子"}),
        ("ﾀｶﾊｼ ｲﾁﾛｳ", {"髙橋　一郎"}),
        ("高橋一郎", {"髙橋　一郎"}),
        ("一郎　高橋", {"髙橋　一郎"}),
        ("たかはしいちろう", {"髙橋　一郎"}),
        ("高橋 いちろう", {"髙橋　一郎"}),
        ("山崎", {"山﨑　さくら"}),
        ("やまざき さくら", {"山﨑　さくら"}),
        ("渡辺", {"渡邊　翔"}),
        ("斉藤", {"齋藤　恵"}),
        ("斎藤", {"齋藤　恵"}),
        ("吉田", {"𠮷田　健"}),
        ("すみす", {"スミス　アンナ"}),
        ("林", {"林　優", "小林　優子"}),  # one character: the gram index
        ("ヤシ", {"林　優", "小林　優子"}),  # two characters of kana
        ("林優", {"林　優", "小林　優子"}),
        ("太郎", {"山田　太郎", "田中　太郎"}),
        ("ＹＡＭＡＤＡ", set()),
        ("佐藤", set()),
    ],
)
def test_names_and_kana(town: SignedIn, query: str, expected: set[str]) -> None:
    assert set(names(town, query)) == expected


def test_an_exact_name_is_listed_first(town: SignedIn) -> None:
    hits = SearchService(town.context).search("林優").hits
    assert hits[0].name == "林　優" and hits[0].exact
    assert not hits[1].exact


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0000012345", {"髙橋　一郎"}),  # 宛名番号
        ("12345", {"髙橋　一郎"}),  # without the leading zeros
        ("００００１２３４５", {"髙橋　一郎"}),  # full-width
        ("000001234", {"髙橋　一郎", "高橋　花子"}),  # a prefix of 4+ digits
        ("110000003", {"山﨑　さくら"}),  # 県学調番号
        ("s24000003", {"山﨑　さくら"}),  # Googleアカウント without the domain
        ("S24000003@TODA-DEMO.ED.JP", {"山﨑　さくら"}),
        ("s2400000", {n for _, n, *_ in STUDENTS[:9]}),  # a prefix of the account
    ],
)
def test_ids(town: SignedIn, query: str, expected: set[str]) -> None:
    assert set(names(town, query)) == expected


def test_filters_with_a_name(town: SignedIn) -> None:
    assert names(town, "太郎", SearchFilters(school_code="11201")) == ["山田　太郎"]
    hits = SearchService(town.context).search(
        "太郎", SearchFilters(school_year=2024, school_code="11101")).hits
    assert {h.name for h in hits} == {"山田　太郎", "田中　太郎"}
    yamada = next(h for h in hits if h.name == "山田　太郎")
    assert (yamada.school_year, yamada.grade, yamada.school_name) == (2024, 4, "さくら小学校")
    # Without a year the latest enrollment is shown and filtered.
    latest = SearchService(town.context).search("山田").hits[0]
    assert (latest.school_year, latest.school_name, latest.grade, latest.class_name,
            latest.seat_number) == (2025, "東中学校", 7, "2", 5)
    assert latest.birth_date is not None and latest.birth_date.isoformat() == "2012-11-10"


def test_a_pupil_who_changed_school_is_found_at_either(town: SignedIn) -> None:
    service = SearchService(town.context)
    at_first = service.search("さくら", SearchFilters(school_year=2025, school_code="11101"))
    at_second = service.search("さくら", SearchFilters(school_year=2025, school_code="11102"))
    assert at_first.hits[0].school_name == "さくら小学校"
    assert at_second.hits[0].school_name == "けやき小学校"
    assert service.search("さくら").hits[0].school_name == "けやき小学校"  # the later one


def test_filters_alone_list_a_class_in_seat_order(town: SignedIn) -> None:
    result = SearchService(town.context).search(
        "", SearchFilters(school_year=2024, school_code="11101", grade=4, class_name="1"))
    assert [h.seat_number for h in result.hits] == [1, 3, 5, 7, 9, 11]
    assert result.school_year == 2024
    latest = SearchService(town.context).search("", SearchFilters(grade=7))
    assert latest.school_year == 2025 and [h.name for h in latest.hits] == ["山田　太郎"]
    assert SearchService(town.context).search("").hits == ()


def test_results_sort_by_any_column(town: SignedIn) -> None:
    result = SearchService(town.context).search("", SearchFilters(school_year=2025))
    by_birth = [h.birth_date for h in result.sorted_by("birth_date").hits]
    assert by_birth == sorted(by_birth)  # type: ignore[type-var]
    by_kana = [h.name_kana for h in result.sorted_by("name_kana", descending=True).hits]
    assert by_kana[0] == "ワタナベ ショウ"
    grades = [h.grade for h in result.sorted_by("grade").hits]
    assert grades == sorted(grades)  # type: ignore[type-var]
    with pytest.raises(KeyError):
        result.sorted_by("address_code")


def test_too_many_results_are_cut_and_said(town: SignedIn) -> None:
    result = SearchService(town.context).search("太郎", limit=1)
    assert len(result.hits) == 1 and result.truncated


NASTY = [
    "'; DROP TABLE ds_students; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    '高橋" OR "山',
    "高橋*",
    "NEAR(高橋 一郎)",
    "name : 高橋",
    "{name kana} : 高橋",
    "高橋 AND NOT 一郎",
    "^高橋",
    "%",
    "_",
    "\\",
    '"',
    "*",
    "-",
    "(",
    "高橋)",
    "\x00",
    "\u3000",
    "🙂",
    "a" * 100,
]


@pytest.mark.parametrize("query", NASTY)
def test_injection_and_fts_syntax_are_plain_text(town: SignedIn, query: str) -> None:
    before = town.store.db.call(lambda c: c.execute("SELECT count(*) FROM ds_students").fetchone())
    result = SearchService(town.context).search(query)
    after = town.store.db.call(lambda c: c.execute("SELECT count(*) FROM ds_students").fetchone())
    assert before == after
    # Typed words are literal: operators are ordinary words that match no name, and
    # punctuation alone matches nothing (never "everything").
    assert {h.name for h in result.hits} <= {"髙橋　一郎", "高橋　花子"}
    if query in ("高橋*", "^高橋", "高橋)"):
        assert len(result.hits) == 2


def test_overlong_queries_are_refused(town: SignedIn) -> None:
    with pytest.raises(UserFacingError):
        SearchService(town.context).search("あ" * 101)
    with pytest.raises(UserFacingError):
        SearchService(town.context).search("あ い う え お か き")


def test_every_search_is_audit_logged_with_its_filters_and_count_not_its_words(
    town: SignedIn,
) -> None:
    """The words only as keyed digests (``test_search_words_in_audit.py``)."""
    SearchService(town.context).search("たかはし", SearchFilters(school_year=2025, grade=5))
    rows = town.audit_view.entries(AuditFilter(action="search"))
    assert "たかはし" not in rows[0].detail_text and "2025" in rows[0].detail_text
    assert "検索語の数: 1" in rows[0].detail_text
    assert rows[0].target_text == "児童生徒"


def test_filter_options(town: SignedIn) -> None:
    options = SearchService(town.context).filter_options()
    assert options.school_years == (2025, 2024)
    assert [s.name for s in options.schools] == ["さくら小学校", "けやき小学校", "東中学校"]
    options = SearchService(town.context).filter_options(school_year=2025, school_code="11201")
    assert options.grades == (7,)
    assert SearchService(town.context).filter_options(school_year=2024).classes == ("1", "2")


def test_the_index_follows_every_write_path(fresh_town: SignedIn) -> None:
    """Import inserts, record edits and deletions all reach the index (triggers), with no
    explicit refresh call."""
    signed = fresh_town
    add_rows(signed.store, "students", [
        {"address_code": "0000200000", "name": "新田　光", "name_kana": "ニッタ ヒカル",
         "birth_date": "2015-04-04", "sex": "男"}])
    assert names(signed, "にった") == ["新田　光"]
    record = signed.store.db.call(lambda c: c.execute(
        "SELECT id FROM ds_students WHERE address_code = '0000044444'").fetchone()[0])
    signed.records.update("students", record, "name", "森　優")
    signed.records.update("students", record, "name_kana", "モリ ユウ")
    assert names(signed, "森") == ["森　優"]
    assert names(signed, "ハヤシ") == []
    enrollment = signed.store.db.call(lambda c: c.execute(
        "SELECT id FROM ds_enrollments WHERE pupil_id = ? AND school_year = 2025",
        (record,)).fetchone()[0])
    signed.records.update("enrollments", enrollment, "class_name", "3")
    assert names(signed, "森", SearchFilters(class_name="3")) == ["森　優"]

    def delete(conn: object) -> None:
        conn.execute("DELETE FROM ds_enrollments WHERE pupil_id = ?", (record,))  # type: ignore[attr-defined]
        conn.execute("DELETE FROM ds_students WHERE id = ?", (record,))  # type: ignore[attr-defined]

    signed.store.db.call(delete)
    assert names(signed, "森") == []
    assert signed.store.db.call(search_repo.pending_count) == 0


def test_a_full_rebuild_gives_the_same_answers(fresh_town: SignedIn) -> None:
    signed = fresh_town
    before = {q: names(signed, q) for q in ("高橋", "林", "12345", "s24000003")}

    def rebuild(conn: object) -> int:
        from storage.connection import transaction

        with transaction(conn):  # type: ignore[arg-type]
            return refresh_search_index(conn)  # type: ignore[arg-type]

    assert signed.store.db.call(rebuild) == len(STUDENTS)
    assert signed.store.db.call(refresh_pending) == 0
    assert {q: names(signed, q) for q in before} == before
    counts = signed.store.db.call(lambda c: [
        c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("search_pupils", "search_trigrams", "search_grams")])
    assert counts == [len(STUDENTS)] * 3


# -- roles (demo city) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("search-roles") / "d.tdb")
    with demo_sessions(path, ("project_lead", "truancy_support", "liaison", "it_admin")) as s:
        yield s


def test_the_it_admin_cannot_search(demo: dict[str, SignedIn]) -> None:
    with pytest.raises(PermissionDenied):
        SearchService(demo["it_admin"].context).search("高橋")
    with pytest.raises(PermissionDenied):
        SearchService(demo["it_admin"].context).filter_options()


def test_ids_are_searched_only_where_the_role_sees_them(demo: dict[str, SignedIn]) -> None:
    lead, truancy = demo["project_lead"], demo["truancy_support"]
    pref, account, address = lead.store.db.call(lambda c: c.execute(
        "SELECT e.pref_id, e.google_account, s.address_code FROM ds_enrollments e"
        " JOIN ds_students s ON s.id = e.pupil_id WHERE e.pref_id IS NOT NULL LIMIT 1"
    ).fetchone())
    assert SearchService(lead.context).id_kinds() == ("address_code", "pref_id", "google_account")
    assert SearchService(truancy.context).id_kinds() == ("address_code",)
    assert "県学調番号" not in SearchService(truancy.context).placeholder()
    for query in (pref, account):
        assert SearchService(lead.context).search(query).hits
        assert SearchService(truancy.context).search(query).hits == ()
    hit = SearchService(truancy.context).search(address).hits[0]
    assert hit.address_code == address
    liaison = SearchService(demo["liaison"].context).search(address).hits[0]
    assert liaison.pupil_id == hit.pupil_id
