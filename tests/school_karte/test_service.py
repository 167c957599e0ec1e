"""The school karte service on a small demo city: who may open it, what leaves it (aggregates,
no names, nothing under 10 pupils), the order of schools, and the audit trail."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied
from toda_desktop.policy.model import default_policy
from toda_desktop.school_karte import CityView, SchoolKarte
from toda_desktop.school_karte.models import SurveyResult
from toda_desktop.school_karte.sheet import school_karte_sheet
from toda_desktop.store_setup import DEMO_LOGINS

pytestmark = pytest.mark.slow  # one small demo city for the module (about 10 s)

KARTE_ROLES = ("director", "section_chief", "center_director", "project_lead", "data_analyst")


@pytest.fixture(scope="module")
def city(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(_demo_store_template, tmp_path_factory.mktemp("sk") / "demo.tdb")


@pytest.fixture(scope="module")
def director(city: Path) -> Iterator[SignedIn]:
    signed = sign_in(city, "director")
    yield signed
    signed.sign_out()


@pytest.fixture(scope="module")
def views(director: SignedIn) -> tuple[CityView, SchoolKarte]:
    service = director.school_karte
    return service.city_view(), service.school_karte(service.schools()[0].code)


def test_the_roles_that_give_evidence_back_to_schools_hold_the_function() -> None:
    policy = default_policy()
    holders = {r.key for r in policy.roles if r.may("school_karte")}
    assert holders == set(KARTE_ROLES)


@pytest.mark.parametrize("role", [r for r in DEMO_LOGINS if r not in KARTE_ROLES])
def test_a_role_without_the_function_is_refused_and_the_refusal_logged(
    city: Path, role: str,
) -> None:
    signed = sign_in(city, role)
    try:
        with pytest.raises(PermissionDenied):
            signed.school_karte.city_view()
        with pytest.raises(PermissionDenied):
            signed.school_karte.school_karte("03102")
    finally:
        signed.sign_out()
    lead = sign_in(city, "project_lead")
    try:
        rows = lead.audit_view.entries(AuditFilter(actor=DEMO_LOGINS[role][0],
                                                   action="permission_denied"))
        assert any("学校カルテ" in r.target_text for r in rows)
    finally:
        lead.sign_out()


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _strings(v)


def test_no_pupil_name_or_address_code_leaves_the_service(
    director: SignedIn, views: tuple[CityView, SchoolKarte],
) -> None:
    people = director.store.db.call(lambda c: c.execute(
        "SELECT name, address_code FROM ds_students").fetchall())
    words = {str(w) for row in people for w in row if w}
    for view in views:
        assert not words & set(_strings(view))


def test_every_cell_and_count_of_a_group_under_ten_pupils_is_suppressed(
    views: tuple[CityView, SchoolKarte],
) -> None:
    city, karte = views
    cells = [c for r in (*city.results, *karte.results)
             for c in (r.current, r.same_grade_last_year, r.same_pupils_last_year)
             if c is not None]
    assert any(c.suppressed for c in cells)  # the small city has small classes
    for c in cells:
        assert c.suppressed == (c.n is None)
        if not c.suppressed:
            assert c.n is not None and c.n >= 10
    for r in karte.results:
        if r.current.suppressed:
            assert r.distribution.group is None
    assert all(c.count is None or c.count >= 0 for c in karte.support)


def test_schools_come_in_school_code_order_in_every_result(
    views: tuple[CityView, SchoolKarte],
) -> None:
    city, _ = views
    codes = [s.code for s in city.schools]
    assert codes == sorted(codes)
    seen = list(dict.fromkeys(r.school_code for r in city.results))
    assert seen == sorted(seen)
    assert city.growth is not None
    effects = [e.school_code for e in city.growth.effects]
    assert effects == sorted(effects)
    support = list(dict.fromkeys(c.school_code for c in city.support))
    assert support == sorted(support)


def test_views_are_audit_logged_with_school_and_year(city: Path, director: SignedIn,
                                                     views: tuple[CityView, SchoolKarte]
                                                     ) -> None:
    lead = sign_in(city, "project_lead")
    try:
        actions = {r.action for r in lead.audit_view.entries(
            AuditFilter(actor=DEMO_LOGINS["director"][0]))}
    finally:
        lead.sign_out()
    assert {"school_karte_view", "school_karte_city"} <= actions


def test_the_printed_sheet_names_no_pupil_and_carries_the_caption(
    views: tuple[CityView, SchoolKarte],
) -> None:
    _, karte = views
    doc = school_karte_sheet(karte)
    assert doc.pupils == () and not doc.identifiable
    texts = [getattr(b, "text", "") for b in doc.blocks]
    assert texts.count(karte.caption) == 2  # at the top and at the end
    assert "評価・順位づけするものではありません" in karte.caption


def test_a_school_cell_equals_the_share_counted_by_hand_from_the_stored_answers(
    director: SignedIn, views: tuple[CityView, SchoolKarte],
) -> None:
    """Each pupil's share of positive answers in a domain (肯定的回答 of the item master),
    averaged over the pupils of the school (their last enrollment row of the year)."""
    import pandas as pd

    city, _ = views
    year = city.school_year
    cell = next(r for r in city.results if r.grade is None
                and r.item_code is None and r.survey_code == "HAPPY" and r.round == 1
                and not r.current.suppressed)

    def read(sql: str) -> pd.DataFrame:
        def run(c: object) -> pd.DataFrame:
            cur = c.execute(sql)  # type: ignore[attr-defined]
            return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        return director.store.db.call(run, kind="survey_responses")

    answers = read("SELECT pupil_id, school_year, item_code, answer FROM ds_survey_responses"
                   f" WHERE survey_code = 'HAPPY' AND round = 1 AND school_year = {year}")
    items = read("SELECT item_code, positive_answers, domain FROM ds_survey_items"
                 f" WHERE survey_code = 'HAPPY' AND school_year = {year}").drop_duplicates(
                     "item_code")
    enrolled = read("SELECT id, pupil_id, school_code, grade FROM ds_enrollments"
                    f" WHERE school_year = {year}").sort_values("id").groupby(
                        "pupil_id").tail(1)
    a = answers.merge(items, on="item_code")
    a = a[a["domain"] == cell.domain]
    a["pos"] = [str(int(x)) in p.split(",") for x, p in zip(a["answer"],
                                                             a["positive_answers"], strict=True)]
    shares = a.groupby("pupil_id")["pos"].mean().rename("share").reset_index()
    mine = shares.merge(enrolled, on="pupil_id")
    mine = mine[mine["school_code"] == cell.school_code]
    assert cell.current.n == len(mine)
    assert cell.current.value == pytest.approx(100 * mine["share"].mean())


def test_correlations_cover_items_and_domains_with_n_and_intervals(
    views: tuple[CityView, SchoolKarte],
) -> None:
    city, karte = views
    pupil = [c for c in city.correlations if c.level == "pupil"]
    assert {c.item_code is None for c in pupil} == {True, False}
    assert {c.outcome for c in pupil} == {"growth", "absence"}
    shown = [c.correlation for c in pupil if c.correlation.r is not None]
    assert shown and all(c.n is not None and c.n >= 10 and c.interval is not None
                         and c.interval.low <= c.r <= c.interval.high for c in shown
                         if c.r is not None and c.interval is not None)
    assert any(c.school_code == karte.school.code for c in karte.correlations)


def test_the_city_view_and_a_school_karte_withhold_the_same_cells(
    views: tuple[CityView, SchoolKarte],
) -> None:
    """What a sum or difference would give away is decided on the whole city, so a cell
    withheld in one view is withheld in the other (else the two together would show it)."""
    city, karte = views
    code = karte.school.code

    def cells(results: tuple[SurveyResult, ...]) -> dict[object, object]:
        return {(r.grade, r.survey_code, r.round, r.domain, r.item_code):
                (r.current, r.same_grade_last_year, r.same_pupils_last_year)
                for r in results if r.school_code == code and r.class_name is None}

    in_city, in_karte = cells(city.results), cells(karte.results)
    assert in_city and in_city == in_karte
    support = {(c.grade, c.measure, c.month, c.status): c.count for c in city.support
               if c.school_code == code}
    assert support == {(c.grade, c.measure, c.month, c.status): c.count
                       for c in karte.support if c.class_name is None}
