"""Calibration of a mid-size city (4 primary + 2 junior-high full-size schools, 4 years).

Targets and tolerances (see ``toda_desktop.demo.checks`` for the definitions):

- pupil-years reported 不登校: 1.3 % primary (0.85–1.75 %), 5.0 % junior high (4.0–6.2 %);
- long absences by reason as in the national survey (MEXT 令和5年度: 70 % 不登校, 21 %
  illness, 8 % other): a chronically ill group with many sick days who are not 不登校;
- new 不登校 (30 days other than sick leave reached) per school-month: 1.1 primary, 3.4 junior
  high, within ±35 % — the city gives ~0.8 and ~3.4;
- precursors: absences in the 3 months before an onset at least twice the usual, yet the
  3-month mean separates onsets from the rest only partly (AUC 0.65–0.9), some onsets come
  with little warning, some with none at all (sudden onsets), and most high-absence months
  are false alarms;
- persistence of long absence into the next year 35–80 %;
- special-needs class ~3 %, Japanese support 1–2 %, transfers in and out ~1–2 % a year.
"""

from __future__ import annotations

import itertools
import time

import pandas as pd
import pytest

from toda_desktop.demo import DemoCity, DemoConfig, checks, generate_city

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def city() -> DemoCity:
    start = time.perf_counter()
    c = generate_city(DemoConfig.calibration(seed=3))
    assert time.perf_counter() - start < 20
    return c


def test_truancy_share(city: DemoCity) -> None:
    share = checks.truancy_share(city)
    assert 0.0085 <= share["primary"] <= 0.0175
    assert 0.040 <= share["junior_high"] <= 0.062


def test_long_absences_have_the_national_mix_of_reasons(city: DemoCity) -> None:
    reasons = checks.long_absence_reasons(city)
    assert reasons["n"] >= 300
    assert 0.62 <= reasons["不登校"] <= 0.78
    assert 0.15 <= reasons["病気"] <= 0.27
    assert 0.04 <= reasons["その他"] <= 0.13
    # Long absence for any reason is then above the 不登校 share.
    share, truant = checks.long_absence_share(city), checks.truancy_share(city)
    assert share["primary"] > truant["primary"] and share["junior_high"] > truant["junior_high"]


def test_chronically_ill_pupils_are_absent_a_lot_without_becoming_truant(city: DemoCity) -> None:
    """The group a reason-blind ranking confuses with 不登校: many sick days, year after
    year, no 事故欠席 to speak of and no 不登校 report."""
    att = city.frames["attendance_monthly"]
    year = att.groupby(["address_code", "school_year"])[
        ["absence_days", "sick_days", "accident_days"]].sum()
    sick = year[(year["sick_days"] >= 30) & (year["sick_days"] * 2 >= year["absence_days"])]
    assert len(sick) >= 60
    la = city.frames["long_absence"]
    truant = set(la.loc[la["truancy"] > 0, ["address_code", "school_year"]].itertuples(
        index=False, name=None))
    assert sum(key in truant for key in sick.index) <= 0.15 * len(sick)
    assert sick["accident_days"].median() <= 3
    # They are ill year after year: most are long-absent through illness again the next year.
    pupils = sick.reset_index()
    again = pupils.assign(school_year=pupils["school_year"] + 1).merge(
        year.reset_index(), on=["address_code", "school_year"], suffixes=("", "_next"))
    assert (again["sick_days_next"] >= 20).mean() >= 0.5


def test_new_truancy_per_school_month(city: DemoCity) -> None:
    rate = checks.new_truancy_per_school_month(city)
    assert 1.1 * 0.65 <= rate["primary"] <= 1.1 * 1.35
    assert 3.4 * 0.65 <= rate["junior_high"] <= 3.4 * 1.35


def test_onsets_have_noisy_precursors(city: DemoCity) -> None:
    p = checks.precursors(city)
    assert p.onsets >= 100
    assert p.mean_before_onset >= 2 * p.mean_otherwise
    assert 0.65 < p.auc < 0.9
    assert 0.1 < p.share_little_warning < 0.5
    assert 0.04 < p.share_sudden < p.share_little_warning  # not one absent day before
    assert p.share_false_alarm > 0.5


def test_other_signals_move_before_onset_but_less_than_absences(city: DemoCity) -> None:
    o = checks.other_precursors(city)
    assert 1.3 < o["late_ratio"] < 4
    assert o["psy_share_pre"] > 1.5 * o["psy_share_other"]
    assert o["consult_ratio_truant"] > 3
    for domain in ("友人関係", "教師関係", "学習"):
        assert 0.05 < o[f"survey_gap_{domain}"] < 1.0, domain


def test_long_absence_persists(city: DemoCity) -> None:
    assert 0.35 <= checks.persistence(city) <= 0.8
    la = city.frames["long_absence"]
    assert la["truancy"].mean() > 0.6


def test_population_rates(city: DemoCity) -> None:
    enr = city.frames["enrollments"]
    assert 0.02 <= enr["special_needs_class"].mean() <= 0.045
    assert 0.008 <= enr["japanese_support"].mean() <= 0.025
    att = city.frames["attendance_monthly"]
    months = att.groupby(["address_code", "school_year"])["month"].agg(["first", "last", "size"])
    late_in = (months["first"] != 4).mean()
    early_out = (months["last"] != 3).mean()
    assert 0.003 <= late_in <= 0.02 and 0.003 <= early_out <= 0.02
    years = sorted(city.config.years)
    by_year = {y: set(enr.loc[enr["school_year"] == y, "address_code"]) for y in years}
    grade = enr.set_index(["school_year", "address_code"])["grade"]
    for y, nxt in itertools.pairwise(years):
        left = [a for a in by_year[y] - by_year[nxt] if grade[(y, a)] not in (6, 9)]
        assert 0.003 <= len(left) / len(by_year[y]) <= 0.025
    regular = enr[~enr["class_name"].isin(["なかよし", "あすなろ"])]
    classes = regular.groupby(["school_year", "school_code", "grade"])["class_name"].nunique()
    types = city.frames["schools"].set_index("school_code")["school_type"]
    primary = classes[classes.index.get_level_values("school_code").map(types) == "小学校"]
    assert 3 <= primary.mean() <= 5


def test_survey_rows_stay_sane_at_full_size(city: DemoCity) -> None:
    full_schools, here = 18, len(city.frames["schools"])
    assert len(city.frames["survey_responses"]) * full_schools / here < 2_500_000


def test_school_context_rates_vary(city: DemoCity) -> None:
    ctx = city.frames["school_context"]
    school = ctx[ctx["grade"].isna()]
    welfare = school.groupby("school_code")["welfare_rate"].mean()
    assert welfare.min() >= 3 and welfare.max() <= 35 and welfare.max() - welfare.min() > 5
    assert school["staff_count"].notna().all()
    per_grade = ctx[ctx["grade"].notna()]
    total = per_grade.groupby(["school_year", "school_code"])["pupil_count"].sum()
    pd.testing.assert_series_equal(
        total.sort_index(),
        school.set_index(["school_year", "school_code"])["pupil_count"].sort_index(),
        check_names=False,
    )
