"""The generated frames follow the registry and the documented conventions."""

from __future__ import annotations

import re
import time
from datetime import date

import numpy as np
import pandas as pd
import pytest

from storage.registry import default_registry
from toda_desktop.demo import Cancelled, DemoCity, DemoConfig, generate_city
from toda_desktop.demo import names as demo_names
from toda_desktop.demo.frames import LIKERT_ANSWERS
from toda_desktop.demo.schooldays import build_calendar

REG = default_registry()
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
INT_TYPES = {"int", "school_year", "month", "grade", "bool"}


def expected_columns(kind_name: str) -> list[str]:
    kind = REG.kind(kind_name)
    stored = [c.key for c in kind.stored_columns]
    if kind.links_to_pupil and "address_code" not in stored:
        return ["address_code", *stored]
    return stored


def test_every_kind_is_filled_with_exactly_the_documented_columns(small_city: DemoCity) -> None:
    assert list(small_city.frames) == list(REG.names)
    for name, frame in small_city.frames.items():
        assert list(frame.columns) == expected_columns(name), name
        assert len(frame) > 0, name


def test_as_of_is_the_last_day_of_the_last_month(small_city: DemoCity) -> None:
    assert small_city.as_of == date(small_city.config.last_year + 1, 3, 31)


@pytest.mark.parametrize("kind_name", REG.names)
def test_values_are_typed_and_within_the_registry(small_city: DemoCity, kind_name: str) -> None:
    kind = REG.kind(kind_name)
    frame = small_city.frames[kind_name]
    for key in frame.columns:
        spec = kind.column(key)
        col = frame[key]
        values = col.dropna()
        if spec.type in INT_TYPES or (kind_name, key) in LIKERT_ANSWERS:
            assert str(col.dtype) == ("int64" if spec.required else "Int64"), key
        elif spec.type in ("float", "percent"):
            assert str(col.dtype) == "Float64", key
        else:
            assert isinstance(col.dtype, pd.StringDtype) and col.dtype.na_value is pd.NA, key
            assert not (values == "").any(), f"{key}: empty string instead of NA"
        if spec.required:
            assert col.notna().all(), key
        if spec.type == "enum":
            assert set(values) <= set(spec.values), key
        if spec.type == "bool":
            assert set(values) <= {0, 1}, key
        if spec.min is not None and len(values):
            assert values.min() >= spec.min, key
        if spec.max is not None and len(values):
            assert values.max() <= spec.max, key
        if spec.type == "date":
            assert values.str.match(ISO).all(), key
            pd.to_datetime(values, format="%Y-%m-%d")  # every date is a real date
        if spec.type == "time":
            assert values.str.match(HHMM).all(), key
        if spec.type == "list":
            assert values.str.match(r"^\d+(,\d+)*$").all(), key


def test_ids_are_strings_with_leading_zeros_kept(small_city: DemoCity) -> None:
    students = small_city.frames["students"]
    codes = students["address_code"]
    assert codes.str.match(r"^\d{10}$").all()
    assert codes.is_unique
    assert codes.str.startswith("0").any()
    schools = small_city.frames["schools"]["school_code"]
    assert schools.str.match(r"^\d{5}$").all()
    assert schools.str.startswith("0").any()
    for name, frame in small_city.frames.items():
        if REG.kind(name).links_to_pupil:
            assert frame["address_code"].isin(codes).all(), name


def test_names_have_kana_and_the_documented_separators(small_city: DemoCity) -> None:
    s = small_city.frames["students"]
    assert s["name"].str.count("\u3000").eq(1).all()
    assert s["name_kana"].str.count(" ").eq(1).all()
    assert s["name_kana"].str.match(r"^[\u30a1-\u30fc]+ [\u30a1-\u30fc]+$").all()
    assert set(s["sex"]) == {"男", "女"}


def test_variant_kanji_surnames_come_at_realistic_frequency() -> None:
    rng = np.random.default_rng(0)
    n = 40_000
    drawn = demo_names.draw_names(rng, rng.random(n) < 0.5, np.zeros(n, dtype=bool))
    fam = pd.Series(drawn.family)
    share = fam.value_counts(normalize=True)
    for variant in ("髙橋", "山﨑", "渡邉", "渡邊", "齋藤", "齊藤"):
        assert 0.0003 < share.get(variant, 0) < 0.01, variant
    assert share.get("髙橋", 0) < share["高橋"] / 5


def test_twins_and_homonyms_exist(small_city: DemoCity) -> None:
    truth = small_city.truth["pupils"]
    s = small_city.frames["students"].set_index("address_code")
    twins = truth.dropna(subset=["twin_of"])
    assert len(twins) >= 2
    for a, b in zip(twins["address_code"], twins["twin_of"], strict=True):
        assert s.at[a, "birth_date"] == s.at[b, "birth_date"]
        assert s.at[a, "name"].split("\u3000")[0] == s.at[b, "name"].split("\u3000")[0]
        assert s.at[a, "name_kana"] != s.at[b, "name_kana"]
    homonyms = truth.dropna(subset=["homonym_of"])
    assert len(homonyms) == 2 * small_city.config.homonym_pairs
    enr = small_city.frames["enrollments"]
    first_school = enr.groupby("address_code")["school_code"].first()
    for a, b in zip(homonyms["address_code"], homonyms["homonym_of"], strict=True):
        assert s.loc[a, ["name", "name_kana", "birth_date", "sex"]].equals(
            s.loc[b, ["name", "name_kana", "birth_date", "sex"]]
        )
        assert first_school[a] != first_school[b]


def test_birth_dates_fit_the_grade(small_city: DemoCity) -> None:
    enr = small_city.frames["enrollments"].merge(small_city.frames["students"], on="address_code")
    birth = pd.to_datetime(enr["birth_date"])
    entry = enr["school_year"] - enr["grade"] + 1  # school year of grade 1
    lo = pd.to_datetime((entry - 7).astype(str) + "-04-02")
    hi = pd.to_datetime((entry - 6).astype(str) + "-04-01")
    assert ((birth >= lo) & (birth <= hi)).all()


def test_enrollment_keys_are_unique_and_seats_follow_each_other(small_city: DemoCity) -> None:
    enr = small_city.frames["enrollments"]
    key = ["school_year", "school_code", "grade", "class_name", "seat_number"]
    assert not enr.duplicated(key).any()
    assert not enr.duplicated(["school_year", "address_code"]).any()
    seats = enr.groupby(key[:4])["seat_number"].agg(["min", "max", "size"])
    assert (seats["min"] == 1).all() and (seats["max"] == seats["size"]).all()
    types = small_city.frames["schools"].set_index("school_code")["school_type"]
    jh = enr["school_code"].map(types).eq("中学校")
    assert enr.loc[jh, "grade"].between(7, 9).all()
    assert enr.loc[~jh, "grade"].between(1, 6).all()


def test_seats_follow_kana_order_for_pupils_there_from_april(small_city: DemoCity) -> None:
    enr = small_city.frames["enrollments"].merge(small_city.frames["students"], on="address_code")
    att = small_city.frames["attendance_monthly"]
    april = att.loc[att["month"] == 4, ["address_code", "school_year"]]
    enr = enr.merge(april, on=["address_code", "school_year"])
    for _, g in enr.groupby(["school_year", "school_code", "grade", "class_name"]):
        kana = g.sort_values("seat_number")["name_kana"].tolist()
        assert kana == sorted(kana)


def test_pupils_move_up_and_primary_leavers_enter_their_district_junior_high(
    small_city: DemoCity,
) -> None:
    enr = small_city.frames["enrollments"]
    nxt = enr.assign(school_year=enr["school_year"] - 1)
    pairs = enr.merge(nxt, on=["address_code", "school_year"], suffixes=("", "_next"))
    assert (pairs["grade_next"] == pairs["grade"] + 1).all()
    to_jh = pairs[pairs["grade"] == 6]
    assert len(to_jh) > 0
    districts = to_jh.groupby("school_code")["school_code_next"].nunique()
    assert (districts == 1).all()
    types = small_city.frames["schools"].set_index("school_code")["school_type"]
    assert to_jh["school_code_next"].map(types).eq("中学校").all()
    for year in small_city.config.years:
        assert ((enr["school_year"] == year) & (enr["grade"] == 1)).sum() > 0


def test_survey_and_account_ids_are_stable(small_city: DemoCity) -> None:
    enr = small_city.frames["enrollments"]
    assert enr.loc[enr["grade"] >= 4, "pref_id"].notna().all()
    assert enr.loc[enr["grade"] < 4, "pref_id"].isna().all()
    assert enr.groupby("address_code")["pref_id"].nunique().le(1).all()
    assert enr.groupby("address_code")["google_account"].nunique().eq(1).all()
    assert enr["google_account"].str.endswith("@toda-demo.ed.jp").all()


def test_attendance_rows_are_consistent(small_city: DemoCity) -> None:
    att = small_city.frames["attendance_monthly"]
    parts = att["sick_days"] + att["accident_days"] + att["suspension_days"]
    assert (parts <= att["absence_days"]).all()
    assert (att["absence_days"] <= att["school_days"]).all()
    present = att["school_days"] - att["absence_days"]
    assert (att["late_count"] <= present).all() and (att["early_leave_count"] <= present).all()
    assert not att.duplicated(["address_code", "school_year", "month"]).any()
    # Every enrolled pupil has a row in every month of a year in which no transfer happened.
    per_year = att.groupby(["address_code", "school_year"]).size()
    assert (per_year == 12).mean() > 0.95
    days = att.groupby(["school_year", "month"])["school_days"].max()
    yearly = days.groupby(level=0).sum()
    assert yearly.between(190, 215).all()
    assert days.xs(8, level="month").between(0, 6).all()


def test_calendar_has_school_days_on_weekdays_only() -> None:
    cal = build_calendar((2022, 2023))
    weekday = (cal.dates.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
    assert (weekday < 5).all()
    assert 15 <= cal.days[0, 0] <= 19  # April


def test_long_absence_rows_follow_cumulative_absences(small_city: DemoCity) -> None:
    la = small_city.frames["long_absence"]
    assert ((la["absence_days"] >= 30) | (la["truancy"] == 1)).all()
    assert (la["main_factor"].isna() == (la["truancy"] == 0)).all()
    att = small_city.frames["attendance_monthly"].copy()
    att["order"] = (att["month"] - 4) % 12
    att = att.sort_values(["address_code", "school_year", "order"])
    att["cum"] = att.groupby(["address_code", "school_year"])["absence_days"].cumsum()
    merged = la.merge(att, on=["address_code", "school_year", "month"], suffixes=("", "_att"))
    assert len(merged) == len(la)
    assert (merged["absence_days"] == merged["cum"]).all()
    crossed = att[att["cum"] >= 30]
    keys = set(zip(la["address_code"], la["school_year"], la["month"], strict=True))
    assert all(
        k in keys
        for k in zip(crossed["address_code"], crossed["school_year"], crossed["month"], strict=True)
    )


def test_dated_records_fall_on_school_days_while_enrolled(small_city: DemoCity) -> None:
    att = small_city.frames["attendance_monthly"]
    enrolled = set(zip(att["address_code"], att["school_year"], att["month"], strict=True))
    cal = build_calendar(small_city.config.years)
    school_days = set(np.datetime_as_string(cal.dates.astype("datetime64[D]")).tolist())
    for kind, col in (
        ("health_room_visits", "visit_date"),
        ("consultations", "consult_date"),
        ("bullying_records", "recognized_date"),
    ):
        frame = small_city.frames[kind]
        assert frame[col].isin(school_days).all(), kind
        d = pd.to_datetime(frame[col])
        year = d.dt.year - (d.dt.month < 4)
        keys = zip(frame["address_code"], year, d.dt.month, strict=True)
        assert all(k in enrolled for k in keys), kind
    visits = small_city.frames["health_room_visits"].dropna(subset=["time_in", "time_out"])
    assert (visits["time_out"] >= visits["time_in"]).all()


def test_survey_answers_use_items_of_the_master(small_city: DemoCity) -> None:
    items = small_city.frames["survey_items"]
    resp = small_city.frames["survey_responses"]
    enr = small_city.frames["enrollments"][["address_code", "school_year", "grade"]]
    r = resp.merge(enr, on=["address_code", "school_year"], how="left")
    assert r["grade"].notna().all()
    m = r.merge(items, on=["survey_code", "school_year", "grade", "item_code"], how="left")
    assert m["choice_count"].notna().all()
    assert (m["answer"] <= m["choice_count"]).all()
    assert set(resp["survey_code"]) == {"PREF_Q", "LESSON", "HAPPY"}
    assert resp.loc[resp["survey_code"] == "LESSON", "subject"].notna().all()
    assert resp.loc[resp["survey_code"] != "LESSON", "subject"].isna().all()
    assert set(items["domain"]) == {"学習", "友人関係", "教師関係", "家庭", "生活", "自己肯定感"}
    assert items.groupby(["survey_code", "grade"])["item_code"].nunique().gt(0).all()
    # Item codes differ by grade band and year.
    pq = items[items["survey_code"] == "PREF_Q"]
    assert (
        pq.groupby("school_year")["item_code"].apply(frozenset).nunique() > 1
        or len(small_city.config.years) < 3
    )
    assert set(pq.loc[pq["grade"] <= 6, "item_code"]).isdisjoint(
        pq.loc[pq["grade"] >= 7, "item_code"]
    )
    positive = m["positive_answers"].str.split(",").apply(lambda v: [int(x) for x in v])
    pos_share = np.mean([a in p for a, p in zip(m["answer"], positive, strict=True)])
    assert 0.55 < pos_share < 0.9


def test_academic_levels_rise_with_grade(small_city: DemoCity) -> None:
    ar = small_city.frames["academic_results"].merge(
        small_city.frames["enrollments"][["address_code", "school_year", "grade"]],
        on=["address_code", "school_year"],
    )
    assert ar["grade"].between(4, 9).all()
    means = ar.groupby("grade")["level"].mean()
    assert means.is_monotonic_increasing
    jh = ar["grade"] >= 7
    assert set(ar.loc[jh, "subject"]) == {"国語", "数学", "英語"}
    assert set(ar.loc[~jh, "subject"]) == {"国語", "算数"}


def test_health_checkups_are_plausible(small_city: DemoCity) -> None:
    hc = small_city.frames["health_checkups"].merge(
        small_city.frames["enrollments"][["address_code", "school_year", "grade"]],
        on=["address_code", "school_year"],
    )
    h = hc.groupby("grade")["height_cm"].mean()
    assert h.is_monotonic_increasing
    assert 105 < h.iloc[0] < 125 and 150 < h.iloc[-1] < 170
    assert hc["weight_kg"].dropna().between(12, 110).all()


def test_records_before_school(small_city: DemoCity) -> None:
    s = small_city.frames["students"].set_index("address_code")
    inf = small_city.frames["infant_checkups"]
    assert not inf.duplicated(["address_code", "checkup_type"]).any()
    assert inf["address_code"].nunique() > 0.6 * len(s)
    dated = inf.dropna(subset=["checkup_date"])
    birth = pd.to_datetime(dated["address_code"].map(s["birth_date"]))
    assert (pd.to_datetime(dated["checkup_date"]) > birth).all()
    pre = small_city.frames["preschool"]
    filled = pre.dropna(subset=["exit_date"])
    assert (filled["entry_date"] < filled["exit_date"]).all()


def test_free_text_never_names_a_pupil(small_city: DemoCity) -> None:
    s = small_city.frames["students"]
    full = set(s["name"]) | set(s["name"].str.replace("\u3000", "")) | set(s["name_kana"])
    given = set(s["name"].str.split("\u3000").str[1])
    texts = pd.concat(
        [
            small_city.frames["consultations"]["summary"],
            small_city.frames["health_checkups"]["findings"],
            small_city.frames["preschool"]["record_note"],
            small_city.frames["bullying_records"]["kind"],
            small_city.frames["bullying_records"]["status"],
        ]
    ).dropna()
    for text in set(texts):
        assert not any(n in text for n in full), text
        assert not any(len(g) >= 2 and g in text for g in given), text


def test_generation_is_deterministic_for_a_seed() -> None:
    a = generate_city(DemoConfig.small(seed=3))
    b = generate_city(DemoConfig.small(seed=3))
    c = generate_city(DemoConfig.small(seed=4))
    for name in a.frames:
        pd.testing.assert_frame_equal(a.frames[name], b.frames[name])
    assert not a.frames["students"].equals(c.frames["students"])
    assert not a.frames["attendance_monthly"].equals(c.frames["attendance_monthly"])


def test_small_city_is_fast() -> None:
    start = time.perf_counter()
    generate_city(DemoConfig.small(seed=11))
    assert time.perf_counter() - start < 2.0


def test_progress_runs_to_one_and_cancel_stops() -> None:
    seen: list[float] = []
    generate_city(DemoConfig.small(seed=1), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        generate_city(DemoConfig.small(seed=1), cancel=lambda: next(calls, True))


def test_config_rejects_impossible_cities() -> None:
    with pytest.raises(ValueError):
        DemoConfig(n_primary=1, n_junior_high=2)
    with pytest.raises(ValueError):
        DemoConfig(first_year=2025, last_year=2024)
