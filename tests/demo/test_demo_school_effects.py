"""The demo city plants what the school karte looks for (issue 15): school effects on growth
that the data show, survey climates that differ between schools, and basic information that
changes over the years."""

from __future__ import annotations

import numpy as np
import pytest

from toda_desktop.demo import DemoCity, DemoConfig, generate_city


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_city(DemoConfig.calibration(seed=3))  # 6 full-size schools


@pytest.mark.slow
def test_each_schools_planted_growth_effect_shows_in_its_pupils_growth(city: DemoCity) -> None:
    truth = city.truth["schools"]
    assert len(truth) == 6 and abs(float(truth["growth_effect"].mean())) < 1e-9
    f = city.frames
    levels = f["academic_results"].groupby(["address_code", "school_year"])["level"].mean()
    levels = levels.unstack()
    growth = (levels[2025] - levels[2024]).dropna().rename("growth").reset_index()
    enrolled = f["enrollments"].query("school_year == 2025").drop_duplicates(
        "address_code", keep="last")
    g = growth.merge(enrolled[["address_code", "school_code", "grade"]], on="address_code")
    g["growth"] -= g.groupby("grade")["growth"].transform("mean")  # grades grow differently
    by_school = g.groupby("school_code")["growth"].mean()
    planted = truth.set_index("school_code")["growth_effect"]
    both = by_school.to_frame().join(planted.rename("planted"), how="inner")
    assert np.corrcoef(both["growth"], both["planted"])[0, 1] > 0.8


@pytest.mark.slow
def test_schools_differ_in_survey_climate_and_staff_changes_over_the_years(
    city: DemoCity,
) -> None:
    ctx = city.frames["school_context"]
    whole = ctx[ctx["grade"].isna()]
    staff = whole.pivot_table(index="school_code", columns="school_year", values="staff_count")
    assert (staff.nunique(axis=1) > 1).all()  # every school's staff changes at some point
    climate = city.truth["schools"]["learning_climate"]
    assert float(climate.std()) > 0.1
