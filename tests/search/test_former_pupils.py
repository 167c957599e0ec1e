"""Former pupils (卒業・転出) are found only by roles whose map entry needs them (issue 13).

An insider holding the 庁内他部局調整職員 (liaison) password signs in on the real store files
and asks the product's service API for a pupil who graduated: by 宛名番号, name, kana, a
school-year listing, the karte by id and an extraction over the year they left. Nothing comes
back, the karte is refused with a Japanese message and the refusal is in the audit log. The
不登校支援担当職員 (whose entry says ``former_pupils = true``) finds the same pupils and sees
their 在籍状況. A change of the map in 権限設定 turns the rule for the liaison on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from storage.repos import leavers
from tests.search.helpers import add_rows, demo_sessions, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.extraction import Extraction
from toda_desktop.policy.model import (
    default_policy,
    describe_policy_changes,
    parse_policy_text,
    policy_changes,
    policy_to_toml,
)
from toda_desktop.search.former import DENIED_MESSAGE
from toda_desktop.search.service import SearchFilters
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)

# Added to the demo city (latest school year 2025): one graduate of 2024 (中3 then), one who
# transferred out after 2024 (小5 then) and one who is enrolled now.
GRADUATE = ("0099900001", "卒業　二郎", "ソツギョウ ジロウ")
TRANSFERRED = ("0099900002", "転居　三咲", "テンキョ ミサキ")
CURRENT = ("0099900003", "在籍　四葉", "ザイセキ ヨツバ")
NEWCOMER = ("0099900004", "新入　五月", "シンニュウ サツキ")
SCHOOL = "99901"


@pytest.fixture
def city(demo_store_path: Path) -> Iterator[dict[str, SignedIn]]:
    with demo_sessions(demo_store_path, ("project_lead", "liaison", "truancy_support",
                                         "director")) as signed:
        store = signed["project_lead"].store
        add_rows(store, "students", [
            {"address_code": a, "name": n, "name_kana": k, "birth_date": "2010-05-05",
             "sex": "男"} for a, n, k in (GRADUATE, TRANSFERRED, CURRENT)])
        add_rows(store, "schools", [{"school_code": SCHOOL, "school_name": "試験中学校",
                                     "school_type": "中学校"}])
        rows = []
        for address, years, first_grade in ((GRADUATE[0], (2023, 2024), 8),
                                            (TRANSFERRED[0], (2023, 2024), 4),
                                            (CURRENT[0], (2024, 2025), 8)):
            for i, year in enumerate(years):
                rows.append({"address_code": address, "school_year": year, "school_code": SCHOOL,
                             "grade": first_grade + i, "class_name": "1",
                             "seat_number": 1 + len(rows)})
        add_rows(store, "enrollments", rows)
        yield signed


def _pupil_id(signed: SignedIn, address: str) -> int:
    hits = signed.search.search(address).hits
    assert len(hits) == 1
    return hits[0].pupil_id


@pytest.mark.parametrize("query", [GRADUATE[0], "0099900001", "99900001", "卒業", "卒業二郎",
                                   "ソツギョウ", "そつぎょう じろう", "ｿﾂｷﾞｮｳ"])
def test_liaison_cannot_find_a_graduate_by_address_code_name_or_kana(
    city: dict[str, SignedIn], query: str
) -> None:
    assert city["liaison"].search.search(query).hits == ()
    assert [h.name for h in city["truancy_support"].search.search(query).hits] == [GRADUATE[1]]


def test_liaison_still_finds_pupils_enrolled_now(city: dict[str, SignedIn]) -> None:
    hits = city["liaison"].search.search(CURRENT[0]).hits
    assert [h.name for h in hits] == [CURRENT[1]]
    assert hits[0].status is None  # no 在籍状況 for a role that sees only current pupils


def test_a_school_year_listing_leaves_former_pupils_out_for_the_liaison(
    city: dict[str, SignedIn],
) -> None:
    filters = SearchFilters(school_year=2024, school_code=SCHOOL)
    liaison = city["liaison"].search.search("", filters)
    assert [h.name for h in liaison.hits] == [CURRENT[1]]
    assert not liaison.shows_status
    lead = city["project_lead"].search.search("", filters)
    assert {h.name for h in lead.hits} == {GRADUATE[1], TRANSFERRED[1], CURRENT[1]}
    # Words and filters together: the same rule.
    assert city["liaison"].search.search("ソツギョウ", filters).hits == ()


def test_a_pupil_whose_school_has_not_sent_the_new_register_is_found_by_the_liaison(
    city: dict[str, SignedIn],
) -> None:
    lead = city["project_lead"]
    # Early in 2026 only the test school's register is in: its 2025 pupil missing from it has
    # left; the demo city's pupils, whose schools have not sent 2026 yet, are still enrolled.
    add_rows(lead.store, "students", [{"address_code": NEWCOMER[0], "name": NEWCOMER[1],
                                       "name_kana": NEWCOMER[2], "birth_date": "2013-05-05",
                                       "sex": "女"}], source="新入.csv")
    add_rows(lead.store, "enrollments", [{"address_code": NEWCOMER[0], "school_year": 2026,
                                          "school_code": SCHOOL, "grade": 7, "class_name": "1",
                                          "seat_number": 1}], source="2026.csv")
    other = next(h for h in lead.search.search("", SearchFilters(school_year=2025)).hits
                 if h.school_code != SCHOOL)
    assert other.address_code is not None
    liaison = city["liaison"]
    assert [h.pupil_id for h in liaison.search.search(other.address_code).hits] == [
        other.pupil_id]
    assert liaison.karte.open(other.pupil_id).header.name == other.name
    assert liaison.search.search(CURRENT[0]).hits == ()  # not in the test school's 2026 list
    assert [h.status.label if h.status else "" for h in
            city["truancy_support"].search.search(CURRENT[0]).hits] == ["卒業（2025年度）"]
    assert [h.name for h in liaison.search.search(NEWCOMER[0]).hits] == [NEWCOMER[1]]


def test_the_role_with_the_setting_sees_each_pupils_enrollment_status(
    city: dict[str, SignedIn],
) -> None:
    results = city["truancy_support"].search.search("", SearchFilters(school_code=SCHOOL,
                                                                      school_year=2024))
    assert results.shows_status
    labels = {h.name: h.status.label for h in results.hits if h.status is not None}
    assert labels == {GRADUATE[1]: "卒業（2024年度）", TRANSFERRED[1]: "転出（2024年度）",
                      CURRENT[1]: "在籍中"}


def test_the_liaisons_searches_are_logged_with_former_pupils_left_out(
    city: dict[str, SignedIn],
) -> None:
    city["liaison"].search.search(GRADUATE[0])
    entries = city["project_lead"].audit_view.entries(
        AuditFilter(actor=DEMO_LOGINS["liaison"][0], action="search"))
    assert entries
    assert "対象外" in entries[0].detail_text
    # The 宛名番号 searched for is not in the log; an auditor holding the key can check it.
    assert "0099900001" not in entries[0].detail_text
    found = city["project_lead"].search_words.searches_with("0099900001")
    assert [e.id for e in found] == [entries[0].id]


def test_liaison_cannot_open_a_graduates_karte_by_id_and_the_refusal_is_logged(
    city: dict[str, SignedIn],
) -> None:
    pupil = _pupil_id(city["project_lead"], GRADUATE[0])
    with pytest.raises(PermissionDenied) as refused:
        city["liaison"].karte.open(pupil)
    assert refused.value.message_ja == DENIED_MESSAGE
    with pytest.raises(PermissionDenied):
        city["liaison"].karte.records(pupil, "students")
    denied = [e for e in city["project_lead"].audit_view.entries(AuditFilter(pupil_id=pupil))
              if e.outcome_label == "拒否"]
    assert {e.action for e in denied} == {"view_karte", "view_records"}
    assert all(e.actor == DEMO_LOGINS["liaison"][0] for e in denied)
    assert all("卒業・転出" in e.detail_text for e in denied)
    # The role with the setting opens it; a pupil enrolled now opens for the liaison.
    assert city["truancy_support"].karte.open(pupil).header.name == GRADUATE[1]
    current = _pupil_id(city["project_lead"], CURRENT[0])
    assert city["liaison"].karte.open(current).header.name == CURRENT[1]


def test_an_unknown_pupil_id_is_still_not_found_not_called_former(
    city: dict[str, SignedIn],
) -> None:
    with pytest.raises(UserFacingError) as missing:
        city["liaison"].karte.open(10_000_000)
    assert "見つかりません" in missing.value.message_ja


def test_an_extraction_over_an_earlier_year_lists_no_former_pupil_for_the_director(
    city: dict[str, SignedIn],
) -> None:
    everyone = Extraction(name="全員")
    director = city["director"].extraction.run(everyone, school_year=2024)
    lead = city["project_lead"].extraction.run(everyone, school_year=2024)
    director_names = {r.name for r in director.rows}
    lead_names = {r.name for r in lead.rows}
    assert {GRADUATE[1], TRANSFERRED[1], CURRENT[1]} <= lead_names
    assert CURRENT[1] in director_names
    assert not director_names & {GRADUATE[1], TRANSFERRED[1]}
    gone = {left.pupil_id for left in city["project_lead"].store.db.call(leavers.leavers)}
    assert lead.population - director.population == len(
        gone & {r.pupil_id for r in lead.rows})


def test_the_search_export_has_the_status_column_for_a_role_with_the_setting(
    city: dict[str, SignedIn], tmp_path: Path,
) -> None:
    lead = city["project_lead"].search
    results = lead.search("", SearchFilters(school_code=SCHOOL, school_year=2024))
    out = lead.export(results, tmp_path / "list.csv", purpose=PURPOSE)
    with out.path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][-1] == "在籍状況"
    assert {row[0]: row[-1] for row in table[1:]}[GRADUATE[1]] == "卒業（2024年度）"


def test_the_project_lead_turning_the_setting_on_lets_the_liaison_find_them(
    city: dict[str, SignedIn], demo_store_path: Path,
) -> None:
    lead = city["project_lead"]
    policy = parse_policy_text(lead.policy_admin.current_text())
    roles = tuple(replace(r, former_pupils=True) if r.key == "liaison" else r
                  for r in policy.roles)
    lead.policy_admin.update(policy_to_toml(replace(policy, roles=roles)))
    again = sign_in(demo_store_path, DEMO_LOGINS["liaison"][0], DEMO_PASSWORD)
    try:
        hits = again.search.search(GRADUATE[0]).hits
        assert [h.status.label if h.status else "" for h in hits] == ["卒業（2024年度）"]
    finally:
        again.sign_out()


def test_the_map_setting_is_checked_and_written_back() -> None:
    policy = default_policy()
    assert {r.key for r in policy.roles if r.former_pupils} == {
        "project_lead", "data_analyst", "truancy_support", "bullying_support"}
    assert parse_policy_text(policy_to_toml(policy)) == policy
    roles = tuple(replace(r, former_pupils=True) if r.key == "liaison" else r
                  for r in policy.roles)
    changes = policy_changes(policy, replace(policy, roles=roles))
    assert changes == {"liaison": {"functions_added": [], "functions_removed": [],
                                   "domains_added": [], "domains_removed": [],
                                   "former_pupils": True}}
    assert describe_policy_changes(changes, {"liaison": "庁内他部局調整職員"}) == [
        "庁内他部局調整職員: 卒業・転出した児童生徒の検索・閲覧を許可"]
    bad = policy_to_toml(policy).replace("former_pupils = true", 'former_pupils = "yes"', 1)
    with pytest.raises(UserFacingError) as refused:
        parse_policy_text(bad)
    assert "true か false" in refused.value.message_ja


@pytest.mark.parametrize("kind", ["students", "enrollments"])
def test_a_dataset_export_leaves_former_pupils_rows_out_for_a_role_without_the_setting(
    city: dict[str, SignedIn], tmp_path: Path, kind: str, demo_store_path: Path,
) -> None:
    # The bundled map gives 室長 aggregate exports only: the lead lets it export pupils here.
    policy = parse_policy_text(city["project_lead"].policy_admin.current_text())
    roles = tuple(replace(r, functions=frozenset({*r.functions, "export"}))
                  if r.key == "director" else r for r in policy.roles)
    city["project_lead"].policy_admin.update(policy_to_toml(replace(policy, roles=roles)))
    city["project_lead"].export_purposes.set_threshold(1_000_000)  # (no approval asked here)
    signed = sign_in(demo_store_path, DEMO_LOGINS["director"][0], DEMO_PASSWORD)
    try:
        director = signed.records.export_dataset(kind, tmp_path / "director.csv",
                                                 purpose=PURPOSE)
    finally:
        signed.sign_out()
    lead = city["project_lead"].records.export_dataset(kind, tmp_path / "lead.csv",
                                                       purpose=PURPOSE)
    director_text = director.path.read_text(encoding="utf-8-sig")
    lead_text = lead.path.read_text(encoding="utf-8-sig")
    for address in (GRADUATE[0], TRANSFERRED[0]):
        assert address in lead_text and address not in director_text
    assert CURRENT[0] in director_text
    gone = len(city["project_lead"].store.db.call(leavers.leavers))
    assert director.rows < lead.rows and gone > 2


def test_a_map_saved_before_the_setting_keeps_the_bundled_setting_per_role() -> None:
    legacy = "\n".join(line for line in policy_to_toml(default_policy()).splitlines()
                       if not line.startswith("former_pupils"))
    policy = parse_policy_text(legacy)
    assert policy.role("project_lead").former_pupils
    assert not policy.role("liaison").former_pupils
    # Once any role names it, an unnamed role is false (the map is read as written).
    director = 'label = "教育政策室長"'
    named = legacy.replace(director, director + "\nformer_pupils = false")
    assert not parse_policy_text(named).role("project_lead").former_pupils
