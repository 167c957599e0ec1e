"""The growth estimate recovers planted school effects, and its 95% intervals cover them about
95% of the time (a seeded simulation of many cities: 18 schools, covariates, prior levels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.school_karte.intervals import Interval
from analysis.school_karte.value_added import (
    COVARIATES,
    SchoolEffect,
    estimate,
    mixed_model_check,
)

N_SCHOOLS = 18
TAU = 0.15  # sd of the planted effects, levels


def simulated_city(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    codes = [f"S{j:02d}" for j in range(N_SCHOOLS)]
    effects = rng.normal(0, TAU, N_SCHOOLS)
    rates = np.column_stack([rng.uniform(3, 25, N_SCHOOLS), rng.uniform(0, 6, N_SCHOOLS),
                             rng.uniform(0, 4, N_SCHOOLS)])
    gamma = np.asarray([-0.01, -0.02, -0.01])
    sizes = rng.integers(40, 260, N_SCHOOLS)
    school = np.repeat(np.arange(N_SCHOOLS), sizes)
    grade = rng.integers(5, 10, len(school))
    prior = 3.0 + (grade - 5) + rng.normal(0, 1.3, len(school))
    growth = (1.0 - 0.05 * (grade - 5) - 0.08 * (prior - prior.mean()) + rates[school] @ gamma
              + effects[school] + rng.normal(0, 0.5, len(school)))
    pupils = pd.DataFrame({"school_code": np.asarray(codes)[school], "grade": grade,
                           "prior": prior, "current": prior + growth})
    schools = pd.DataFrame({"school_code": codes, **{c: rates[:, k]
                                                      for k, c in enumerate(COVARIATES)}})
    return pupils, schools, effects


@pytest.mark.slow
def test_the_intervals_cover_the_planted_school_effects_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(15)
    covered = total = 0
    correlations = []
    for _ in range(120):
        pupils, schools, planted = simulated_city(rng)
        va = estimate(pupils, schools, cross_check=False)
        assert [e.school_code for e in va.effects] == sorted(schools["school_code"])
        got = np.asarray([e.effect for e in va.effects])
        covered += sum(e.interval.contains(t) for e, t in zip(va.effects, planted, strict=True))
        total += len(planted)
        correlations.append(np.corrcoef(got, planted)[0, 1])
    coverage = covered / total
    assert 0.92 <= coverage <= 0.98, coverage
    assert float(np.median(correlations)) > 0.85  # the ordering of the planted effects is found


def test_estimates_shrink_a_small_school_more_than_a_large_one() -> None:
    pupils, schools, _ = simulated_city(np.random.default_rng(3))
    va = estimate(pupils, schools, cross_check=False)
    small = min(va.effects, key=lambda e: e.n)
    large = max(va.effects, key=lambda e: e.n)
    assert small.shrinkage < large.shrinkage <= 1.0
    assert small.interval.high - small.interval.low > large.interval.high - large.interval.low


def test_the_mixed_model_agrees_on_a_city_with_school_effects() -> None:
    pupils, schools, _ = simulated_city(np.random.default_rng(5))
    va = estimate(pupils, schools, cross_check=True)
    assert va.warnings == ()


def test_the_cross_check_warns_when_the_estimates_disagree_with_the_mixed_model() -> None:
    pupils, schools, _ = simulated_city(np.random.default_rng(5))
    data = pupils.merge(schools, on="school_code")
    codes = sorted(schools["school_code"])
    # The closed form's effects reversed: the mixed model must not agree with them.
    va = estimate(pupils, schools, cross_check=False)
    reversed_effects = [SchoolEffect(e.school_code, e.n, e.raw, -e.effect,
                                     Interval(-e.interval.high, -e.interval.low), e.shrinkage,
                                     e.mean_level, e.grew_share) for e in va.effects]
    notes = mixed_model_check(data, codes, reversed_effects)
    assert any("一致しません" in n for n in notes)


def test_too_few_schools_give_no_estimate_but_a_note() -> None:
    pupils, schools, _ = simulated_city(np.random.default_rng(1))
    few = schools.head(5)
    va = estimate(pupils[pupils["school_code"].isin(few["school_code"])], few)
    assert va.effects == () and va.warnings


def test_a_city_without_school_differences_gives_effects_near_zero_and_no_error() -> None:
    rng = np.random.default_rng(11)
    pupils, schools, planted = simulated_city(rng)
    own = pupils["school_code"].map(dict(zip(schools["school_code"], planted, strict=True)))
    flat = pupils.assign(current=pupils["current"] - own)  # the planted effects taken out
    va = estimate(flat, schools, cross_check=True)  # MixedLM may find a zero variance
    assert all(abs(e.effect) < 0.1 for e in va.effects)
    assert all(isinstance(w, str) for w in va.warnings)
