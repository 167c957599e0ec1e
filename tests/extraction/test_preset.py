"""The push-support preset: a hand-checked town, each criterion switched and tuned, and the
generator's city against an independent computation with pandas."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.extraction import town
from tests.search.helpers import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.demo import DemoCity, DemoConfig, generate_city
from toda_desktop.demo.load import load_city
from toda_desktop.extraction import PushSupportOptions, push_support_preset
from toda_desktop.extraction.service import ExtractionService
from toda_desktop.formatting import format_phrase
from toda_desktop.store_setup import create_empty_store


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedIn]:
    path = tmp_path_factory.mktemp("preset-town") / "town.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    session = sign_in(path, LEAD_LOGIN, LEAD_PASSWORD)
    town.build(session)
    yield session
    session.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Module-scoped sessions; their fixtures close them."""


def pupils(signed: SignedIn, options: PushSupportOptions | None = None,
           school_year: int | None = None) -> set[str]:
    result = ExtractionService(signed.context).run(push_support_preset(options, school_year))
    return {r.name.split("　")[1] for r in result.rows}


def test_the_hand_checked_list(signed: SignedIn) -> None:
    result = ExtractionService(signed.context).run(push_support_preset())
    assert {r.name.split("　")[1] for r in result.rows} == town.EXPECTED
    assert result.school_year == 2025
    assert result.population == 10  # P11 left before 2025
    by_name = {r.name.split("　")[1]: r for r in result.rows}
    p1 = [format_phrase(v.value) for v in by_name["P1"].values]
    assert p1[0] == "長期欠席調査の記録なし"
    assert p1[1] == "2024年度 5.0 → 2025年度 4.5（-0.5）"
    assert p1[2] == "2025年度 第1回 100.0% → 2025年度 第2回 50.0%（-50.0）"
    assert p1[3] == "2025年度 第1回 100.0% → 2025年度 第2回 50.0%（-50.0）"
    assert format_phrase(by_name["P9"].values[0].value) == "最大 20"  # under 30 days
    assert [c.pupils for c in result.counts] == [9, 8, 9, 9]
    assert format_phrase(result.conditions[0]).startswith("長期欠席ではない")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (PushSupportOptions(lesson_min_drop=30), town.EXPECTED - {"P2"}),
        (PushSupportOptions(academic=False), town.EXPECTED | {"P3", "P8"}),
        (PushSupportOptions(academic_tolerance=1.0), town.EXPECTED | {"P3"}),
        (PushSupportOptions(no_long_absence=False), town.EXPECTED | {"P6"}),
        (PushSupportOptions(long_absence_days=15), town.EXPECTED - {"P9"}),
        (PushSupportOptions(lesson=False), town.EXPECTED | {"P4"}),
        (PushSupportOptions(happy=False), town.EXPECTED | {"P5"}),
        (PushSupportOptions(happy_min_drop=60), set()),
        (PushSupportOptions(academic_subject="算数"), town.EXPECTED),
        (PushSupportOptions(academic_subject="国語"), town.EXPECTED),  # P1: 国語 5 → 5
        (PushSupportOptions(lesson_subject="国語"), {"P4"}),  # only P4's 国語 answers fell
    ],
)
def test_each_criterion_switches_and_tunes(
    signed: SignedIn, options: PushSupportOptions, expected: set[str]
) -> None:
    assert pupils(signed, options) == expected


def test_switched_off_criteria_stay_in_the_definition(signed: SignedIn) -> None:
    preset = push_support_preset(PushSupportOptions(happy=False))
    assert len(preset.leaves(enabled_only=False)) == 4 and len(preset.leaves()) == 3
    result = ExtractionService(signed.context).run(preset)
    assert len(result.conditions) == 3


def test_an_earlier_base_year_has_no_year_before_it(signed: SignedIn) -> None:
    assert pupils(signed, school_year=2024) == set()
    everything_off = PushSupportOptions(no_long_absence=False, academic=False, lesson=False,
                                        happy=False)
    assert len(pupils(signed, everything_off, school_year=2024)) == 11  # the whole population


# -- generator data ------------------------------------------------------------------------


def expected_from_frames(city: DemoCity, tolerance: float = 0.0) -> set[str]:
    """The preset computed independently, with pandas, from the generator's frames."""
    f = city.frames
    base = int(f["enrollments"]["school_year"].max())
    population = set(f["enrollments"].query("school_year == @base")["address_code"])
    la = f["long_absence"]
    long_absent = set(la[(la["school_year"] == base) & (la["absence_days"] >= 30)]
                      ["address_code"])
    ac = f["academic_results"].groupby(["address_code", "school_year"])["level"].mean()
    ac = ac.unstack()
    same_or_fell = set(ac[(ac[base] <= ac[base - 1] + tolerance + 1e-9) & ac[base].notna()
                          & ac[base - 1].notna()].index)
    items = f["survey_items"].drop_duplicates(["survey_code", "school_year", "item_code"])
    items = items.assign(pos=items["positive_answers"].str.split(","))
    resp = f["survey_responses"].merge(
        items[["survey_code", "school_year", "item_code", "pos"]],
        on=["survey_code", "school_year", "item_code"])
    resp["positive"] = [str(a) in p for a, p in zip(resp["answer"], resp["pos"], strict=True)]

    def fell(code: str) -> set[str]:
        r = resp[(resp["survey_code"] == code) & (resp["school_year"] == base)]
        share = r.groupby(["address_code", "round"])["positive"].mean().unstack()
        share = share.dropna()
        return set(share[share[2] < share[1] - 1e-12].index)

    return (population - long_absent) & same_or_fell & fell("LESSON") & fell("HAPPY")


@pytest.fixture(scope="module")
def city_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SignedIn, DemoCity]]:
    config = replace(DemoConfig.small(seed=6), primary_size=150, junior_high_size=150,
                     first_year=2023, last_year=2025)
    city = generate_city(config)
    path: Path = tmp_path_factory.mktemp("preset-city") / "city.tdb"
    created = create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=TEST_SCRYPT_N)
    load_city(created.store, city, LEAD_LOGIN)
    created.store.close()
    session = sign_in(path, LEAD_LOGIN, LEAD_PASSWORD)
    yield session, city
    session.sign_out()


@pytest.mark.parametrize("tolerance", [0.0, 1.0])
def test_the_preset_on_generator_data_matches_an_independent_computation(
    city_session: tuple[SignedIn, DemoCity], tolerance: float
) -> None:
    signed, city = city_session
    start = time.perf_counter()
    result = ExtractionService(signed.context).run(
        push_support_preset(PushSupportOptions(academic_tolerance=tolerance)))
    elapsed = time.perf_counter() - start
    expected = expected_from_frames(city, tolerance)
    found = {r.address_code for r in result.rows}
    assert found == expected
    # A short list, neither nobody nor everyone (levels rise with grade, so "same or fell"
    # is rare at tolerance 0 in the generated city).
    assert (2 if tolerance == 0 else 10) <= len(found) < result.population / 10
    assert elapsed < 5
    # Every listed pupil's shown values say why: no long absence, and three decreases.
    for row in result.rows:
        values = [format_phrase(v.value) for v in row.values]
        assert values[0] == "長期欠席調査の記録なし" or int(values[0].split()[-1]) < 30
        assert "（-" in values[2] and "（-" in values[3]


def test_frames_agree_with_the_store(city_session: tuple[SignedIn, DemoCity]) -> None:
    """The generator's answers are what the store holds (the check above compares like with
    like)."""
    signed, city = city_session
    n = signed.store.db.call(
        lambda c: c.execute("SELECT count(*) FROM ds_survey_responses").fetchone()[0])
    assert n == len(city.frames["survey_responses"])
    assert isinstance(city.frames["survey_items"], pd.DataFrame)
