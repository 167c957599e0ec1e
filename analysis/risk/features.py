"""Features at the end of each month, from data available by then, and the label columns.

:data:`FEATURES` declares every feature once: key, Japanese label and unit (for reasons and
the model card), the dataset kind it comes from (reasons are shown only for kinds the viewer
may see) and its group. :data:`FEATURE_SETS` are the nested sets the candidate grid tries.

Never inputs: sex, 就学援助 (welfare), 日本語指導, 特別支援 (:data:`PROTECTED`). They are
attached by :func:`audit_groups` only for the fairness audit.

Every value at month t is computed from panel columns ``<= t`` (trailing windows, school-year
cumulative sums, the latest survey or academic result already returned). The only look at
month t+1 is the label and the school of the list (the pupil's enrollment in that month's
school year, known from the roster before the month starts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.common import CancelFn, ProgressFn, Steps
from analysis.risk.labels import HORIZONS, Status, horizon_labels, long_absence_status
from analysis.risk.panel import (
    ACADEMIC_AVAILABLE_OFFSET,
    LONG_ABSENCE_DAYS,
    SCHOOL_MONTHS,
    FloatArray,
    Panel,
    RiskInputs,
    build_panel,
    forward_fill,
    month_label,
    per_year_to_months,
    scatter_counts,
    shift_months,
    trailing_sum,
    year_cumsum,
    year_totals,
)

PROTECTED = frozenset({"sex", "welfare", "japanese_support", "special_needs_class"})
SURVEY_DOMAINS = ("学習", "友人関係", "教師関係", "家庭", "生活", "自己肯定感")
# Typical school days per month (April … March) before any year of data shows them.
DEFAULT_SCHOOL_DAYS = (16, 19, 21, 13, 3, 20, 20, 19, 16, 16, 18, 14)
SURVEY_MAX_AGE = 12  # months a survey answer stays "latest"
MIN_RESPONDERS = 3  # a class-grade round with fewer responders is not taken as held


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    unit: str  # 日, 回, %, 件, or "" (shown after the value)
    source: str  # registry kind the value comes from
    group: str  # context, attendance, history, health, consultation, survey, academic
    scale: float = 1.0  # display factor (a rate 0..1 is shown in %)
    reason: bool = True  # may be named as a reason for an alert
    digits: int = 1
    direction: int = 1  # +1: a higher value is a reason for concern; −1: a lower one


def _f(key: str, label: str, unit: str, source: str, group: str, **kw: object) -> Feature:
    return Feature(key, label, unit, source, group, **kw)  # type: ignore[arg-type]


ATT = "attendance_monthly"
FEATURES: tuple[Feature, ...] = (
    _f("grade", "学年", "", "enrollments", "context", reason=False, digits=0),
    _f("junior_high", "中学校", "", "schools", "context", reason=False, digits=0),
    _f("month_offset", "月（4月=0）", "", ATT, "context", reason=False, digits=0),
    _f("expected_days_next", "翌月の授業日数（見込み）", "日", ATT, "context", reason=False),
    _f("abs_last", "先月の欠席", "日", ATT, "attendance"),
    _f("abs_rate_last", "先月の欠席率", "%", ATT, "attendance", scale=100.0),
    _f("abs_prev", "先々月の欠席", "日", ATT, "attendance"),
    _f("abs_3m", "直近3か月の欠席", "日", ATT, "attendance"),
    _f("abs_rate_3m", "直近3か月の欠席率", "%", ATT, "attendance", scale=100.0),
    _f("cum_abs", "今年度の累積欠席", "日", ATT, "attendance"),
    _f("cum_rate", "今年度の欠席率", "%", ATT, "attendance", scale=100.0),
    _f("proj_next", "先月のペースで見込まれる翌月末の累積欠席", "日", ATT, "attendance"),
    _f("proj_next_3m", "直近3か月のペースで見込まれる翌月末の累積欠席", "日", ATT, "attendance"),
    _f("days_to_30", "年間30日（長期欠席）までの残り", "日", ATT, "attendance", direction=-1),
    _f("pace_gap", "先月のペースでの翌月の欠席見込みと30日までの残りの差", "日", ATT,
       "attendance", reason=False),
    _f("pace_gap_3m", "直近3か月のペースでの翌月の欠席見込みと30日までの残りの差", "日", ATT,
       "attendance", reason=False),
    _f("abs_trend", "欠席率の増加（先月と前3か月の差）", "ポイント", ATT, "attendance",
       scale=100.0),
    _f("accident_last", "先月の事故欠席", "日", ATT, "attendance"),
    _f("accident_3m", "直近3か月の事故欠席", "日", ATT, "attendance"),
    _f("sick_3m", "直近3か月の病気欠席", "日", ATT, "attendance"),
    _f("late_3m", "直近3か月の遅刻", "回", ATT, "attendance"),
    _f("early_3m", "直近3か月の早退", "回", ATT, "attendance"),
    _f("prev_year_abs", "前年度の欠席", "日", ATT, "history"),
    _f("prev_year_rate", "前年度の欠席率", "%", ATT, "history", scale=100.0),
    _f("prev_year_long", "前年度の長期欠席", "", "long_absence", "history", digits=0),
    _f("visits_3m", "直近3か月の保健室利用", "回", "health_room_visits", "health"),
    _f("psy_visits_3m", "直近3か月の保健室利用（心因）", "回", "health_room_visits", "health"),
    _f("consult_3m", "直近3か月の教育相談・SC/SSW相談", "件", "consultations", "consultation"),
    _f("consult_year", "今年度の教育相談・SC/SSW相談", "件", "consultations", "consultation"),
    *(
        _f(f"survey_{i}", f"直近の調査「{d}」の肯定的回答", "%", "survey_responses", "survey",
           scale=100.0, digits=0, direction=-1)
        for i, d in enumerate(SURVEY_DOMAINS)
    ),
    _f("survey_missed", "直近の調査の未回答", "", "survey_responses", "survey", digits=0),
    _f("academic_level", "県学調の学力レベル（平均）", "", "academic_results", "academic",
       direction=-1),
)
FEATURE_BY_KEY = {f.key: f for f in FEATURES}

_SET_GROUPS: dict[str, tuple[str, ...]] = {
    "absence": ("context", "attendance"),
    "absence_history": ("context", "attendance", "history"),
    "absence_health": ("context", "attendance", "history", "health", "consultation"),
    "all": ("context", "attendance", "history", "health", "consultation", "survey", "academic"),
}
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    name: tuple(f.key for f in FEATURES if f.group in groups)
    for name, groups in _SET_GROUPS.items()
}
FEATURE_SET_LABELS = {
    "absence": "出欠のみ",
    "absence_history": "出欠＋前年度",
    "absence_health": "出欠＋前年度＋保健室・相談",
    "all": "すべて（調査・学力を含む）",
}


def feature_kinds(keys: Sequence[str]) -> frozenset[str]:
    """Dataset kinds a feature list reads."""
    return frozenset(FEATURE_BY_KEY[k].source for k in keys)


# Frame columns besides the features.
ID_COLUMNS = (
    "pupil_id", "t", "school_year", "month", "list_month", "school_code", "list_school_code",
)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _expected_days_next(panel: Panel) -> FloatArray:
    days = np.where(panel.enrolled, panel.values["school_days"], np.nan)
    counts = panel.enrolled.sum(axis=0)
    typical = np.full(panel.n_months, np.nan)
    for col in np.flatnonzero(counts > 0).tolist():
        typical[col] = float(np.nanmedian(days[:, col]))
    out = np.empty(panel.n_months)
    for t in range(panel.n_months):
        same_last_year = t + 1 - 12
        value = float(typical[same_last_year]) if same_last_year >= 0 else float("nan")
        out[t] = float(DEFAULT_SCHOOL_DAYS[(t + 1) % 12]) if np.isnan(value) else value
    return np.broadcast_to(out, panel.enrolled.shape).copy()


def _survey_arrays(panel: Panel, survey: pd.DataFrame) -> dict[str, FloatArray]:
    p, t_all = panel.enrolled.shape
    out: dict[str, FloatArray] = {}
    t, ok = panel.date_columns(survey["survey_date"])
    rows = panel.row_index(survey["pupil_id"].to_numpy(dtype=np.int64))
    ok &= rows >= 0
    share = pd.to_numeric(survey["positive_share"], errors="coerce").to_numpy(dtype=np.float64)
    domain = survey["domain"].astype(str).to_numpy()
    for i, d in enumerate(SURVEY_DOMAINS):
        m = ok & (domain == d) & ~np.isnan(share)
        total = np.zeros((p, t_all))
        count = np.zeros((p, t_all))
        np.add.at(total, (rows[m], t[m]), share[m])
        np.add.at(count, (rows[m], t[m]), 1.0)
        value = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
        out[f"survey_{i}"] = forward_fill(value, SURVEY_MAX_AGE)

    # Missed rounds: enrolled in a school-grade where a round was held, but no answer.
    answered = np.zeros((p, t_all), dtype=bool)
    answered[rows[ok], t[ok]] = True
    key = np.where(panel.school >= 0, panel.school * 100 + np.nan_to_num(panel.grade), -1)
    missed = np.full((p, t_all), np.nan)
    held = pd.DataFrame({"t": t[ok], "key": key[rows[ok], t[ok]], "pupil": rows[ok]})
    held = held.drop_duplicates(["t", "pupil"])
    sizes = held.groupby(["t", "key"]).size()
    sizes = sizes[sizes >= MIN_RESPONDERS]
    held_t = sizes.index.get_level_values(0).to_numpy(dtype=np.int64)
    held_key = sizes.index.get_level_values(1).to_numpy(dtype=np.float64)
    for col in np.unique(held_t).tolist():
        eligible = np.isin(key[:, col], held_key[held_t == col]) & panel.enrolled[:, col]
        missed[eligible, col] = (~answered[eligible, col]).astype(np.float64)
    out["survey_missed"] = np.nan_to_num(forward_fill(missed, SURVEY_MAX_AGE), nan=0.0)
    return out


def _academic_array(panel: Panel, academic: pd.DataFrame) -> FloatArray:
    p, t_all = panel.enrolled.shape
    level = pd.to_numeric(academic["level"], errors="coerce")
    frame = pd.DataFrame({"pupil_id": academic["pupil_id"].to_numpy(dtype=np.int64),
                          "school_year": academic["school_year"].to_numpy(dtype=np.int64),
                          "level": level.to_numpy(dtype=np.float64)})
    mean = frame.groupby(["pupil_id", "school_year"])["level"].mean().reset_index()
    rows = panel.row_index(mean["pupil_id"].to_numpy(dtype=np.int64))
    t = (mean["school_year"].to_numpy(dtype=np.int64) - panel.first_year) * 12
    t = t + ACADEMIC_AVAILABLE_OFFSET
    ok = (rows >= 0) & (t >= 0) & (t < t_all)
    value = np.full((p, t_all), np.nan)
    value[rows[ok], t[ok]] = mean["level"].to_numpy(dtype=np.float64)[ok]
    return forward_fill(value, 12)


def feature_arrays(
    panel: Panel, inputs: RiskInputs, status: Status, steps: Steps | None = None
) -> dict[str, FloatArray]:
    """Every feature of :data:`FEATURES` as a (P, T) array; see the module docstring.
    ``status``: who is long-absent when (:func:`long_absence_status`, shared with the labels)."""
    steps = steps or Steps()
    v = panel.values
    absent = v["absence_days"]
    days = v["school_days"]
    out: dict[str, FloatArray] = {}
    out["grade"] = panel.grade.copy()
    jh = np.where(panel.school >= 0, panel.junior_high[np.maximum(panel.school, 0)], False)
    out["junior_high"] = jh.astype(np.float64)
    out["month_offset"] = np.broadcast_to(
        np.arange(panel.n_months) % 12, absent.shape
    ).astype(np.float64)
    expected = _expected_days_next(panel)
    out["expected_days_next"] = expected

    last = np.nan_to_num(absent, nan=0.0)
    out["abs_last"] = last
    out["abs_rate_last"] = _ratio(last, np.nan_to_num(days, nan=0.0))
    out["abs_prev"] = np.nan_to_num(shift_months(absent, 1), nan=0.0)
    abs3 = trailing_sum(absent, 3)
    days3 = trailing_sum(days, 3)
    out["abs_3m"] = abs3
    out["abs_rate_3m"] = _ratio(abs3, days3)
    cum = status.cum_absence
    out["cum_abs"] = cum
    out["cum_rate"] = _ratio(cum, year_cumsum(days))
    # The label counts toward 30 days within a school year: a list for April starts from 0.
    carried = np.where(out["month_offset"] == 11, 0.0, cum)
    out["proj_next"] = carried + out["abs_rate_last"] * expected
    out["proj_next_3m"] = carried + out["abs_rate_3m"] * expected
    out["days_to_30"] = np.maximum(LONG_ABSENCE_DAYS - carried, 0.0)
    out["pace_gap"] = out["abs_rate_last"] * expected - out["days_to_30"]
    out["pace_gap_3m"] = out["abs_rate_3m"] * expected - out["days_to_30"]
    before3 = _ratio(shift_months(abs3, 1), shift_months(days3, 1))
    out["abs_trend"] = out["abs_rate_last"] - np.nan_to_num(before3, nan=0.0)
    out["accident_last"] = np.nan_to_num(v["accident_days"], nan=0.0)
    out["accident_3m"] = trailing_sum(v["accident_days"], 3)
    out["sick_3m"] = trailing_sum(v["sick_days"], 3)
    out["late_3m"] = trailing_sum(v["late_count"], 3)
    out["early_3m"] = trailing_sum(v["early_leave_count"], 3)
    steps.report(0.3)

    tot_abs = year_totals(absent, panel.enrolled)
    tot_days = year_totals(days, panel.enrolled)
    out["prev_year_abs"] = per_year_to_months(tot_abs, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(tot_days > 0, tot_abs / np.where(tot_days > 0, tot_days, 1.0), np.nan)
    out["prev_year_rate"] = per_year_to_months(rate, 1)
    p, t_all = absent.shape
    year_long = status.long_absent.reshape(p, t_all // 12, 12).any(axis=2).astype(np.float64)
    year_long = np.where(np.isnan(tot_abs), np.nan, year_long)
    out["prev_year_long"] = per_year_to_months(year_long, 1)
    steps.report(0.5)

    if inputs.health_room is not None and not inputs.health_room.empty:
        hr = inputs.health_room
        t, ok = panel.date_columns(hr["visit_date"])
        visits = scatter_counts(panel, hr["pupil_id"].to_numpy(dtype=np.int64), t, ok)
        psy_w = hr["symptom"].astype("string").eq("心因").fillna(False).to_numpy(dtype=bool)
        psy = scatter_counts(panel, hr["pupil_id"].to_numpy(dtype=np.int64), t, ok & psy_w)
    else:
        visits = psy = np.zeros_like(absent)
    out["visits_3m"] = trailing_sum(visits, 3)
    out["psy_visits_3m"] = trailing_sum(psy, 3)
    if inputs.consultations is not None and not inputs.consultations.empty:
        cs = inputs.consultations
        t, ok = panel.date_columns(cs["consult_date"])
        consult = scatter_counts(panel, cs["pupil_id"].to_numpy(dtype=np.int64), t, ok)
    else:
        consult = np.zeros_like(absent)
    out["consult_3m"] = trailing_sum(consult, 3)
    out["consult_year"] = year_cumsum(consult)
    steps.report(0.7)

    if inputs.survey is not None and not inputs.survey.empty:
        out.update(_survey_arrays(panel, inputs.survey))
    else:
        for i in range(len(SURVEY_DOMAINS)):
            out[f"survey_{i}"] = np.full_like(absent, np.nan)
        out["survey_missed"] = np.zeros_like(absent)
    if inputs.academic is not None and not inputs.academic.empty:
        out["academic_level"] = _academic_array(panel, inputs.academic)
    else:
        out["academic_level"] = np.full_like(absent, np.nan)
    steps.report(0.9)
    assert set(out) == set(FEATURE_BY_KEY), set(out) ^ set(FEATURE_BY_KEY)
    return out


def build_frame(
    inputs: RiskInputs,
    *,
    months: Sequence[int] | None = None,
    horizons: Sequence[int] = HORIZONS,
    include_long_absent: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> pd.DataFrame:
    """One row per pupil and month-end t (pupils not yet long-absent that school year).

    Columns: :data:`ID_COLUMNS` (``t`` counts months from April of the first school year;
    ``list_month`` is the ``YYYY-MM`` of month t+1, the month the list is for), every feature,
    and per horizon h ``y{h}`` (label) and ``obs{h}`` (label observed). ``months`` limits the
    rows to those month indexes (e.g. the one month to score).
    """
    steps = Steps(progress, cancel)
    steps.report(0.0)
    panel = build_panel(inputs)
    status = long_absence_status(panel, inputs.long_absence)
    feats = feature_arrays(panel, inputs, status, steps.part(0.05, 0.8))
    mask = panel.enrolled.copy()
    if not include_long_absent:
        mask &= ~status.long_absent
    if months is not None:
        keep = np.zeros(panel.n_months, dtype=bool)
        for t in months:
            if 0 <= t < panel.n_months:
                keep[t] = True
        mask &= keep[None, :]
    rows, cols = np.nonzero(mask)
    data: dict[str, object] = {
        "pupil_id": panel.pupil_ids[rows],
        "t": cols.astype(np.int64),
        "school_year": (panel.first_year + cols // 12).astype(np.int64),
        "month": np.asarray(SCHOOL_MONTHS, dtype=np.int64)[cols % 12],
    }
    labels = [month_label(panel.first_year + (c + 1) // 12, (c + 1) % 12)
              for c in range(panel.n_months)]
    data["list_month"] = np.asarray(labels, dtype=object)[cols]
    codes = np.asarray((*panel.school_codes, ""), dtype=object)
    school_now = panel.school[rows, cols]
    data["school_code"] = codes[school_now]
    nxt = np.minimum(cols + 1, panel.n_months - 1)
    school_next = np.where(cols + 1 < panel.n_months, panel.school[rows, nxt], -1)
    data["list_school_code"] = codes[np.where(school_next >= 0, school_next, school_now)]
    for f in FEATURES:
        data[f.key] = feats[f.key][rows, cols]
    for h in horizons:
        label, observed = horizon_labels(panel, status, h)
        data[f"y{h}"] = label[rows, cols]
        data[f"obs{h}"] = observed[rows, cols]
    steps.report(1.0)
    return pd.DataFrame(data)


def _school_welfare_groups(frame: pd.DataFrame, context: pd.DataFrame) -> np.ndarray:
    """高い / 低い: the list school's 就学援助率 against the median school of that year."""
    rates = context.assign(
        welfare_rate=pd.to_numeric(context["welfare_rate"], errors="coerce"),
        school_year=pd.to_numeric(context["school_year"], errors="coerce"),
    ).dropna(subset=["welfare_rate", "school_year"])
    median = rates.groupby("school_year")["welfare_rate"].transform("median")
    high = (rates["welfare_rate"] > median).to_numpy()
    key = dict(zip(zip(rates["school_year"].astype(int), rates["school_code"].astype(str),
                       strict=True), high, strict=True))
    years = frame["school_year"].astype(int).tolist()
    codes = frame["list_school_code"].astype(str).tolist()
    found = [key.get((y, c)) for y, c in zip(years, codes, strict=True)]
    return np.asarray(["不明" if f is None else ("高い学校" if f else "低い学校") for f in found],
                      dtype=object)


def audit_groups(frame: pd.DataFrame, inputs: RiskInputs) -> pd.DataFrame:
    """Audit-only attributes per row of ``frame`` (same index): never model inputs.

    Columns: 性別, 学年, 校種, 特別支援学級, 日本語指導, 学校の就学援助率 (the list school's
    rate above or below the median school's, when school_context is given) and, when the
    pupils table carries it, 就学援助 (per-pupil welfare). Missing values are "不明".
    """
    out = pd.DataFrame(index=frame.index)
    key = frame[["pupil_id"]].copy()
    if inputs.pupils is not None:
        pupils = inputs.pupils.drop_duplicates("pupil_id").set_index("pupil_id")
        out["性別"] = key["pupil_id"].map(pupils["sex"]).astype("string").fillna("不明")
        if "welfare" in pupils.columns:
            w = key["pupil_id"].map(pupils["welfare"])
            out["就学援助"] = np.where(w.isna(), "不明",
                                    np.where(w.fillna(0).astype(int) > 0, "あり", "なし"))
    if inputs.school_context is not None and not inputs.school_context.empty:
        out["学校の就学援助率"] = _school_welfare_groups(frame, inputs.school_context)
    out["学年"] = frame["grade"].map(
        lambda g: "不明" if pd.isna(g) else (f"{int(g)}年" if g <= 6 else f"中{int(g) - 6}"))
    out["校種"] = np.where(frame["junior_high"] > 0, "中学校", "小学校")
    enr = inputs.enrollments.drop_duplicates(["pupil_id", "school_year"], keep="last")
    merged = frame[["pupil_id", "school_year"]].merge(
        enr, on=["pupil_id", "school_year"], how="left"
    )
    for column, label in (("special_needs_class", "特別支援学級"),
                          ("japanese_support", "日本語指導")):
        if column in merged.columns:
            vals = pd.to_numeric(merged[column], errors="coerce").to_numpy()
            out[label] = np.where(np.isnan(vals), "不明", np.where(vals > 0, "あり", "なし"))
    return out

