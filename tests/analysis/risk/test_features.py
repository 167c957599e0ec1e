"""Features at month m use nothing after m; labels; protected attributes are never inputs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.risk import FEATURES, PROTECTED, RiskInputs, build_frame, truncate_inputs
from analysis.risk.features import FEATURE_SETS, audit_groups
from analysis.risk.models import candidate_grid, check_inputs_allowed
from analysis.risk.panel import month_label

KEYS = [f.key for f in FEATURES]


def _at(frame: pd.DataFrame, t: int) -> pd.DataFrame:
    return frame[frame["t"] == t].set_index("pupil_id").sort_index()[KEYS]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.index) == list(b.index)
    x = a.to_numpy(dtype=np.float64)
    y = b.to_numpy(dtype=np.float64)
    assert np.array_equal(np.isnan(x), np.isnan(y))
    assert np.allclose(np.nan_to_num(x), np.nan_to_num(y))


@pytest.mark.parametrize(("year", "offset"), [(2023, 11), (2024, 2), (2024, 8), (2025, 5)])
def test_features_at_m_equal_those_from_data_cut_at_m(
    small_inputs: RiskInputs, year: int, offset: int
) -> None:
    full = build_frame(small_inputs)
    t = (year - 2023) * 12 + offset
    cut = build_frame(truncate_inputs(small_inputs, year, offset), months=[t])
    assert len(cut) > 100
    _same(_at(full, t), _at(cut, t))


def test_changing_the_future_changes_no_feature(small_inputs: RiskInputs) -> None:
    """Scramble every monthly row and dated record after m: features at m stay the same."""
    year, offset = 2024, 6
    t = (year - 2023) * 12 + offset
    rng = np.random.default_rng(0)
    att = small_inputs.attendance.copy()
    later = (att["school_year"] > year) | (
        (att["school_year"] == year) & (((att["month"] - 4) % 12) > offset))
    for column in ("absence_days", "sick_days", "accident_days", "late_count"):
        att.loc[later, column] = rng.integers(0, 20, int(later.sum()))
    hr = small_inputs.health_room
    assert hr is not None
    extra = hr.sample(200, random_state=0).assign(visit_date="2025-01-15", symptom="心因")
    scrambled = replace(small_inputs, attendance=att,
                        health_room=pd.concat([hr, extra], ignore_index=True))
    before = build_frame(small_inputs)
    after = build_frame(scrambled)
    _same(_at(before, t), _at(after, t))
    # ...while the labels of earlier months may see the change (they look ahead by design).
    assert not _at(before, t + 1).equals(_at(after, t + 1))


def _tiny_inputs() -> RiskInputs:
    """Three pupils in one primary school, 2023, every absence a 事故欠席: A reaches 30 days
    in June, B is reported 不登校 in October with few days; C is never absent."""
    months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    rows = []
    absences = {1: [5, 10, 16, 2, 0, 1, 1, 0, 0, 0, 0, 0],
                2: [0, 0, 1, 0, 0, 3, 6, 9, 9, 0, 0, 0],
                3: [0] * 12}
    for pid, values in absences.items():
        for m, a in zip(months, values, strict=True):
            rows.append((pid, 2023, m, 20, a, 0, a, 0, 0, 0))
    # D: the same days as A but no survey row yet; E: ill, 8 sick days every month (and a
    # 事故欠席 now and then); F: 出席停止・忌引 (influenza, a funeral) for 32 days.
    for m, a in zip(months, absences[1], strict=True):
        rows.append((4, 2023, m, 20, a, 0, a, 0, 0, 0))
    for m in months:
        rows.append((5, 2023, m, 20, 9, 8, 1, 0, 0, 0))
        rows.append((6, 2023, m, 20, 8 if m in (1, 2, 6, 7) else 0, 0, 0,
                     8 if m in (1, 2, 6, 7) else 0, 0, 0))
    att = pd.DataFrame(rows, columns=["pupil_id", "school_year", "month", "school_days",
                                      "absence_days", "sick_days", "accident_days",
                                      "suspension_days", "late_count", "early_leave_count"])
    enr = pd.DataFrame({"pupil_id": [1, 2, 3, 4, 5, 6], "school_year": [2023] * 6,
                        "school_code": ["S1"] * 6, "grade": [3] * 6})
    schools = pd.DataFrame({"school_code": ["S1"], "school_type": ["小学校"]})
    # The survey: A long-absent but not 不登校 (家庭の事情), B 不登校 with only 10 days so far,
    # E long-absent through illness from July.
    la = pd.DataFrame({"pupil_id": [1, 2, 5, 5], "school_year": [2023] * 4,
                       "month": [6, 10, 7, 8], "absence_days": [31, 10, 36, 45],
                       "truancy": [0, 1, 0, 0]})
    return RiskInputs(att, enr, schools, long_absence=la)


def test_the_label_is_a_truancy_onset_on_a_hand_built_example() -> None:
    frame = build_frame(_tiny_inputs()).set_index(["pupil_id", "t"])
    # D: 事故欠席 cumulative 5, 15, 31 → 不登校 from June (t=2); rows only for April and May.
    assert sorted(frame.loc[4].index) == [0, 1]
    assert frame.loc[(4, 1), "y1"] and not frame.loc[(4, 0), "y1"]
    assert frame.loc[(4, 0), "y3"] and frame.loc[(4, 1), "y3"]
    assert frame.loc[(4, 1), "cum_abs"] == 15 and frame.loc[(4, 1), "cum_ns"] == 15
    assert frame.loc[(4, 1), "abs_rate_last"] == pytest.approx(0.5)
    # A: the same days, but the survey gives the reason and it is not 不登校: never an onset.
    assert sorted(frame.loc[1].index) == list(range(12))
    assert not frame.loc[1, "y1"].any() and not frame.loc[1, "y3"].any()
    # E: 108 days absent, 96 of them sick: long-absent through illness, never a 不登校 onset,
    # and the features keep the sick days apart.
    assert sorted(frame.loc[5].index) == list(range(12)) and not frame.loc[5, "y1"].any()
    assert frame.loc[(5, 5), "cum_abs"] == 54 and frame.loc[(5, 5), "cum_ns"] == 6
    assert frame.loc[(5, 5), "cum_sick"] == 48
    assert frame.loc[(5, 5), "sick_share"] == pytest.approx(48 / 54)
    # F: 32 days of 出席停止・忌引 are not absences the target counts.
    assert not frame.loc[6, "y1"].any() and frame.loc[(6, 11), "cum_abs"] == 32
    # B: reported 不登校 in October (t=6) with 10 days.
    assert frame.loc[(2, 5), "y1"] and not frame.loc[(2, 4), "y1"]
    assert frame.loc[(2, 3), "y3"] and not frame.loc[(2, 2), "y3"]
    assert 6 not in frame.loc[2].index
    # C: never; the last month has no observed label (no month after it in the data).
    assert not frame.loc[3, "y1"].any()
    assert not frame.loc[(3, 11), "obs1"] and frame.loc[(3, 10), "obs1"]
    assert not frame.loc[(3, 9), "obs3"] and frame.loc[(3, 8), "obs3"]


def test_protected_attributes_are_never_inputs(small_inputs: RiskInputs) -> None:
    assert not set(KEYS) & PROTECTED
    sources = {f.source for f in FEATURES}
    assert "students" not in sources  # 性別 lives there
    for config in candidate_grid():
        check_inputs_allowed(config.features)
        assert set(config.features) <= set(KEYS)
    for bad in ("sex", "welfare", "japanese_support", "special_needs_class"):
        with pytest.raises(ValueError):
            check_inputs_allowed([*FEATURE_SETS["absence"], bad])
    # Audit attributes come only from audit_groups.
    frame = build_frame(small_inputs)
    groups = audit_groups(frame, small_inputs)
    assert {"性別", "学年", "校種", "特別支援学級", "日本語指導", "就学援助"} <= set(groups.columns)
    assert not set(groups.columns) & set(frame.columns)


def test_the_school_welfare_rate_groups_the_audit_rows() -> None:
    """No per-pupil 就学援助 in the city's files: the list school's rate against the median."""
    inputs = replace(_tiny_inputs(), school_context=pd.DataFrame({
        "school_year": [2023, 2023, 2023], "school_code": ["S1", "S2", "S3"],
        "welfare_rate": [25.0, 10.0, 12.0]}))
    frame = build_frame(inputs)
    groups = audit_groups(frame, inputs)
    assert set(groups["学校の就学援助率"]) == {"高い学校"}  # S1 is above the median (12 %)
    low = replace(inputs, school_context=inputs.school_context.assign(  # type: ignore[union-attr]
        welfare_rate=[5.0, 10.0, 12.0]))
    assert set(audit_groups(frame, low)["学校の就学援助率"]) == {"低い学校"}
    missing = replace(inputs, school_context=inputs.school_context.iloc[1:])  # type: ignore[union-attr]
    assert set(audit_groups(frame, missing)["学校の就学援助率"]) == {"不明"}
    assert "学校の就学援助率" not in audit_groups(frame, _tiny_inputs()).columns


def test_the_pace_features_count_toward_30_days_within_the_school_year() -> None:
    frame = build_frame(_tiny_inputs()).set_index(["pupil_id", "t"])
    # B at the end of September (t=5): 4 days so far, 3 of 20 days last month.
    row = frame.loc[(2, 5)]
    assert row["ns_days_to_30"] == 26
    assert row["proj_next"] == pytest.approx(4 + 0.15 * row["expected_days_next"])
    assert row["proj_ns_next"] == pytest.approx(4 + 0.15 * row["expected_days_next"])
    assert row["ns_pace_gap"] == pytest.approx(0.15 * row["expected_days_next"] - 26)
    # March rows look at April: a new school year starts from 0 days.
    march = frame.loc[(3, 11)]
    assert march["ns_days_to_30"] == 30 and march["proj_next"] == 0
    assert march["proj_ns_next"] == 0


def test_months_are_labelled_as_people_write_them() -> None:
    assert month_label(2025, 0) == "2025-04"
    assert month_label(2025, 9) == "2026-01"
    assert month_label(2025, 12) == "2026-04"  # an offset past March runs into the next year
