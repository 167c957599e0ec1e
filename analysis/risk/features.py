"""Features at the end of each month, from data available by then, and the label columns.

:data:`FEATURES` declares every feature once: key, Japanese label and unit (for reasons and
the model card), the dataset kind it comes from (reasons are shown only for kinds the viewer
may see) and its group. :data:`FEATURE_SETS` are the nested sets the candidate grid tries.

Sick absence is kept apart from other absence (``ns_*``: absence other than 病気欠席 and
出席停止・忌引, the days the 不登校 target counts; ``sick_*``): a chronically ill pupil with many
sick days and no other sign should not rank like a pupil who stops coming. Health-room visits
and the change in survey answers between rounds are the other signs.

Never inputs: sex, 就学援助 (welfare), 日本語指導, 特別支援 (:data:`PROTECTED`). They are
attached by :func:`audit_groups` only for the fairness audit.

Every value at month t is computed from panel columns ``<= t`` (trailing windows, school-year
cumulative sums, the latest survey or academic result already returned). The only look at
month t+1 is the label and the school of the list (the pupil's enrollment in that month's
school year, known from the roster before the month starts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.common import CancelFn, ProgressFn, Steps
from analysis.risk.labels import HORIZONS, Status, horizon_labels, nonsick_days, truancy_status
from analysis.risk.panel import (
    ACADEMIC_AVAILABLE_OFFSET,
    LONG_ABSENCE_DAYS,
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
from kernel.school_calendar import SCHOOL_MONTHS

PROTECTED = frozenset({"sex", "welfare", "japanese_support", "special_needs_class"})
SURVEY_DOMAINS = ("学習", "友人関係", "教師関係", "家庭", "生活", "自己肯定感")
# Typical school days per month (April … March) before any year of data shows them.
DEFAULT_SCHOOL_DAYS = (16, 19, 21, 13, 3, 20, 20, 19, 16, 16, 18, 14)
SURVEY_MAX_AGE = 12  # months a survey answer stays "latest"
MIN_RESPONDERS = 3  # a class-grade round with fewer responders is not taken as held
_NONE = -99.0  # marks a survey round with no earlier round to compare with


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
NS = "病気・出席停止以外の"  # absences that are not 病気欠席 or 出席停止・忌引
FEATURES: tuple[Feature, ...] = (
    _f("grade", "学年", "", "enrollments", "context", reason=False, digits=0),
    _f("junior_high", "中学校", "", "schools", "context", reason=False, digits=0),
    _f("month_offset", "月（4月=0）", "", ATT, "context", reason=False, digits=0),
    _f("expected_days_next", "翌月の授業日数（見込み）", "日", ATT, "context", reason=False),
    # Every absence (what a reason-blind ranking sees).
    _f("abs_last", "先月の欠席", "日", ATT, "attendance"),
    _f("abs_rate_last", "先月の欠席率", "%", ATT, "attendance", scale=100.0),
    _f("abs_3m", "直近3か月の欠席", "日", ATT, "attendance"),
    _f("cum_abs", "今年度の累積欠席", "日", ATT, "attendance"),
    _f("proj_next", "先月のペースで見込まれる翌月末の累積欠席", "日", ATT, "attendance"),
    # Absence other than 病気欠席 and 出席停止・忌引 (what the 不登校 target counts).
    _f("ns_last", f"先月の{NS}欠席", "日", ATT, "attendance"),
    _f("ns_rate_last", f"先月の{NS}欠席率", "%", ATT, "attendance", scale=100.0),
    _f("ns_prev", f"先々月の{NS}欠席", "日", ATT, "attendance"),
    _f("ns_3m", f"直近3か月の{NS}欠席", "日", ATT, "attendance"),
    _f("ns_rate_3m", f"直近3か月の{NS}欠席率", "%", ATT, "attendance", scale=100.0),
    _f("cum_ns", f"今年度の{NS}累積欠席", "日", ATT, "attendance"),
    _f("cum_ns_rate", f"今年度の{NS}欠席率", "%", ATT, "attendance", scale=100.0),
    _f("proj_ns_next", f"先月のペースで見込まれる翌月末の{NS}累積欠席", "日", ATT,
       "attendance"),
    _f("proj_ns_next_3m", f"直近3か月のペースで見込まれる翌月末の{NS}累積欠席", "日", ATT,
       "attendance"),
    _f("ns_days_to_30", f"{NS}欠席が年間30日に達するまでの残り", "日", ATT, "attendance",
       direction=-1),
    _f("ns_pace_gap", "先月のペースでの翌月の欠席見込みと30日までの残りの差", "日", ATT,
       "attendance", reason=False),
    _f("ns_trend", f"{NS}欠席率の増加（先月と前3か月の差）", "ポイント", ATT, "attendance",
       scale=100.0),
    _f("accident_last", "先月の事故欠席", "日", ATT, "attendance"),
    _f("accident_3m", "直近3か月の事故欠席", "日", ATT, "attendance"),
    # Sick absence kept apart: a chronically ill pupil is absent a lot without being 不登校.
    _f("sick_last", "先月の病気欠席", "日", ATT, "attendance", reason=False),
    _f("sick_3m", "直近3か月の病気欠席", "日", ATT, "attendance"),
    _f("cum_sick", "今年度の病気欠席", "日", ATT, "attendance", reason=False),
    _f("sick_share", "今年度の欠席のうち病気欠席の割合", "%", ATT, "attendance", scale=100.0,
       reason=False),
    _f("late_3m", "直近3か月の遅刻", "回", ATT, "attendance"),
    _f("early_3m", "直近3か月の早退", "回", ATT, "attendance"),
    _f("prev_year_abs", "前年度の欠席", "日", ATT, "history"),
    _f("prev_year_ns", f"前年度の{NS}欠席", "日", ATT, "history"),
    _f("prev_year_sick", "前年度の病気欠席", "日", ATT, "history", reason=False),
    _f("prev_year_truant", "前年度の不登校", "", "long_absence", "history", digits=0),
    _f("visits_3m", "直近3か月の保健室利用", "回", "health_room_visits", "health"),
    _f("psy_visits_3m", "直近3か月の保健室利用（心因）", "回", "health_room_visits", "health"),
    _f("visits_trend", "保健室利用の増加（直近3か月と前の3か月の差）", "回",
       "health_room_visits", "health"),
    _f("consult_3m", "直近3か月の教育相談・SC/SSW相談", "件", "consultations", "consultation"),
    _f("consult_year", "今年度の教育相談・SC/SSW相談", "件", "consultations", "consultation"),
    *(
        _f(f"survey_{i}", f"直近の調査「{d}」の肯定的回答", "%", "survey_responses", "survey",
           scale=100.0, digits=0, direction=-1)
        for i, d in enumerate(SURVEY_DOMAINS)
    ),
    _f("survey_change", "直近の調査の肯定的回答の変化（前回との差、領域の平均）", "ポイント",
       "survey_responses", "survey", scale=100.0, digits=0, direction=-1),
    _f("survey_missed", "直近の調査の未回答", "", "survey_responses", "survey", digits=0),
    _f("academic_level", "県学調の学力レベル（平均）", "", "academic_results", "academic",
       direction=-1),
)
FEATURE_BY_KEY = {f.key: f for f in FEATURES}

_SET_GROUPS: dict[str, tuple[str, ...]] = {
    "absence": ("context", "attendance", "history"),
    "absence_health": ("context", "attendance", "history", "health", "consultation"),
    "all": ("context", "attendance", "history", "health", "consultation", "survey", "academic"),
}
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    name: tuple(f.key for f in FEATURES if f.group in groups)
    for name, groups in _SET_GROUPS.items()
}
FEATURE_SET_LABELS = {
    "absence": "出欠（病気欠席を分けて）＋前年度",
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
    domain_codes, domain_names = pd.factorize(survey["domain"])
    domain_index = {str(d): i for i, d in enumerate(domain_names)}
    change_sum = np.zeros((p, t_all))
    change_n = np.zeros((p, t_all))
    for i, d in enumerate(SURVEY_DOMAINS):
        m = ok & (domain_codes == domain_index.get(d, -2)) & ~np.isnan(share)
        total = np.zeros((p, t_all))
        count = np.zeros((p, t_all))
        np.add.at(total, (rows[m], t[m]), share[m])
        np.add.at(count, (rows[m], t[m]), 1.0)
        value = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
        latest = forward_fill(value, SURVEY_MAX_AGE)
        out[f"survey_{i}"] = latest
        # The round before the latest one (within a year): how the answers changed.
        before = shift_months(latest, 1)
        at_round = np.where(np.isnan(value), np.nan, np.where(np.isnan(before), _NONE, before))
        previous = forward_fill(at_round, SURVEY_MAX_AGE)
        change = latest - np.where(previous == _NONE, np.nan, previous)
        has = ~np.isnan(change)
        change_sum += np.where(has, change, 0.0)
        change_n += has
    out["survey_change"] = np.where(change_n > 0, change_sum / np.maximum(change_n, 1.0), np.nan)

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


Sink = Callable[[str, FloatArray], None]


def feature_arrays(
    panel: Panel,
    inputs: RiskInputs,
    status: Status,
    steps: Steps | None = None,
    sink: Sink | None = None,
) -> dict[str, FloatArray]:
    """Every feature of :data:`FEATURES` as a (P, T) array; see the module docstring.

    ``status``: who is 不登校 when (:func:`truancy_status`, shared with the labels). With a
    ``sink`` each array is handed over as soon as it is made and not kept (the frame takes
    its rows at once, so the city's (P, T) arrays never all live together); the result is
    then empty."""
    steps = steps or Steps()
    out: dict[str, FloatArray] = {}

    def put(key: str, value: FloatArray) -> None:
        if sink is None:
            out[key] = value
        else:
            sink(key, value)

    v = panel.values
    absent = v["absence_days"]
    days = v["school_days"]
    days0 = np.nan_to_num(days, nan=0.0)
    put("grade", panel.grade.copy())
    jh = np.where(panel.school >= 0, panel.junior_high[np.maximum(panel.school, 0)], False)
    put("junior_high", jh.astype(np.float64))
    month_offset = np.broadcast_to(np.arange(panel.n_months) % 12, absent.shape)
    put("month_offset", month_offset.astype(np.float64))
    expected = _expected_days_next(panel)
    put("expected_days_next", expected)
    # The target counts toward 30 days within a school year: a list for April starts from 0.
    march = month_offset == 11

    last = np.nan_to_num(absent, nan=0.0)
    rate_last = _ratio(last, days0)
    put("abs_last", last)
    put("abs_rate_last", rate_last)
    put("abs_3m", trailing_sum(absent, 3))
    cum = status.cum_absence
    put("cum_abs", cum)
    put("proj_next", np.where(march, 0.0, cum) + rate_last * expected)
    steps.report(0.2)

    ns = nonsick_days(panel)
    ns_last = np.nan_to_num(ns, nan=0.0)
    ns_rate = _ratio(ns_last, days0)
    put("ns_last", ns_last)
    put("ns_rate_last", ns_rate)
    put("ns_prev", np.nan_to_num(shift_months(ns, 1), nan=0.0))
    ns3 = trailing_sum(ns, 3)
    days3 = trailing_sum(days, 3)
    ns_rate3 = _ratio(ns3, days3)
    put("ns_3m", ns3)
    put("ns_rate_3m", ns_rate3)
    cum_ns = status.cum_nonsick
    put("cum_ns", cum_ns)
    put("cum_ns_rate", _ratio(cum_ns, year_cumsum(days)))
    carried = np.where(march, 0.0, cum_ns)
    put("proj_ns_next", carried + ns_rate * expected)
    put("proj_ns_next_3m", carried + ns_rate3 * expected)
    to_30 = np.maximum(LONG_ABSENCE_DAYS - carried, 0.0)
    put("ns_days_to_30", to_30)
    put("ns_pace_gap", ns_rate * expected - to_30)
    before3 = _ratio(shift_months(ns3, 1), shift_months(days3, 1))
    put("ns_trend", ns_rate - np.nan_to_num(before3, nan=0.0))
    put("accident_last", np.nan_to_num(v["accident_days"], nan=0.0))
    put("accident_3m", trailing_sum(v["accident_days"], 3))
    sick = v["sick_days"]
    put("sick_last", np.nan_to_num(sick, nan=0.0))
    put("sick_3m", trailing_sum(sick, 3))
    cum_sick = year_cumsum(sick)
    put("cum_sick", cum_sick)
    put("sick_share", _ratio(cum_sick, cum))
    put("late_3m", trailing_sum(v["late_count"], 3))
    put("early_3m", trailing_sum(v["early_leave_count"], 3))
    steps.report(0.4)

    put("prev_year_abs", per_year_to_months(year_totals(absent, panel.enrolled), 1))
    put("prev_year_ns", per_year_to_months(year_totals(ns, panel.enrolled), 1))
    put("prev_year_sick", per_year_to_months(year_totals(sick, panel.enrolled), 1))
    p, t_all = absent.shape
    present = panel.enrolled.reshape(p, t_all // 12, 12).any(axis=2)
    year_truant = status.truant.reshape(p, t_all // 12, 12).any(axis=2).astype(np.float64)
    put("prev_year_truant", per_year_to_months(np.where(present, year_truant, np.nan), 1))
    steps.report(0.5)

    if inputs.health_room is not None and not inputs.health_room.empty:
        hr = inputs.health_room
        t, ok = panel.date_columns(hr["visit_date"])
        visits = scatter_counts(panel, hr["pupil_id"].to_numpy(dtype=np.int64), t, ok)
        psy_w = hr["symptom"].astype("string").eq("心因").fillna(False).to_numpy(dtype=bool)
        psy = scatter_counts(panel, hr["pupil_id"].to_numpy(dtype=np.int64), t, ok & psy_w)
    else:
        visits = psy = np.zeros_like(absent)
    visits3 = trailing_sum(visits, 3)
    put("visits_3m", visits3)
    put("psy_visits_3m", trailing_sum(psy, 3))
    put("visits_trend", visits3 - np.nan_to_num(shift_months(visits3, 3), nan=0.0))
    if inputs.consultations is not None and not inputs.consultations.empty:
        cs = inputs.consultations
        t, ok = panel.date_columns(cs["consult_date"])
        consult = scatter_counts(panel, cs["pupil_id"].to_numpy(dtype=np.int64), t, ok)
    else:
        consult = np.zeros_like(absent)
    put("consult_3m", trailing_sum(consult, 3))
    put("consult_year", year_cumsum(consult))
    steps.report(0.7)

    if inputs.survey is not None and not inputs.survey.empty:
        for key, value in _survey_arrays(panel, inputs.survey).items():
            put(key, value)
    else:
        for i in range(len(SURVEY_DOMAINS)):
            put(f"survey_{i}", np.full_like(absent, np.nan))
        put("survey_change", np.full_like(absent, np.nan))
        put("survey_missed", np.zeros_like(absent))
    if inputs.academic is not None and not inputs.academic.empty:
        put("academic_level", _academic_array(panel, inputs.academic))
    else:
        put("academic_level", np.full_like(absent, np.nan))
    steps.report(0.9)
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
    """One row per pupil and month-end t (pupils not yet 不登校 that school year).

    Columns: :data:`ID_COLUMNS` (``t`` counts months from April of the first school year;
    ``list_month`` is the ``YYYY-MM`` of month t+1, the month the list is for; the month and
    school columns are categorical), every feature (float32: the frame of a city of 20,000
    pupils over four years stays near 200 MB), and per horizon h ``y{h}`` (label) and
    ``obs{h}`` (label observed). ``months`` limits the rows to those month indexes (e.g. the
    one month to score).
    """
    steps = Steps(progress, cancel)
    steps.report(0.0)
    panel = build_panel(inputs)
    status = truancy_status(panel, inputs.long_absence)
    mask = panel.enrolled.copy()
    if not include_long_absent:
        mask &= ~status.truant
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
    data["list_month"] = pd.Categorical.from_codes(cols, categories=pd.Index(labels))
    codes = [*panel.school_codes, ""]
    school_now = np.where(panel.school[rows, cols] >= 0, panel.school[rows, cols], len(codes) - 1)
    data["school_code"] = pd.Categorical.from_codes(school_now.astype(np.int64),
                                                    categories=pd.Index(codes))
    nxt = np.minimum(cols + 1, panel.n_months - 1)
    school_next = np.where(cols + 1 < panel.n_months, panel.school[rows, nxt], -1)
    data["list_school_code"] = pd.Categorical.from_codes(
        np.where(school_next >= 0, school_next, school_now).astype(np.int64),
        categories=pd.Index(codes))
    columns: dict[str, np.ndarray] = {}

    def take(key: str, value: FloatArray) -> None:
        columns[key] = value[rows, cols].astype(np.float32)

    feature_arrays(panel, inputs, status, steps.part(0.05, 0.8), sink=take)
    assert set(columns) == set(FEATURE_BY_KEY), set(columns) ^ set(FEATURE_BY_KEY)
    for f in FEATURES:
        data[f.key] = columns.pop(f.key)
    for h in horizons:
        label, observed = horizon_labels(panel, status, h)
        data[f"y{h}"] = label[rows, cols]
        data[f"obs{h}"] = observed[rows, cols]
    steps.report(1.0)
    # copy=False: the columns are not consolidated into one block (no second copy).
    return pd.DataFrame(data, copy=False)


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
    # Categorical: a handful of group names over a city's million rows (object strings took
    # more memory than the feature frame itself).
    return out.astype("category")

