"""The monthly pupil panel behind the truancy-risk model: inputs, month index, dense arrays.

Every input is a plain DataFrame with English column keys (the registry's keys plus
``pupil_id``); :class:`RiskInputs` names them. The panel turns them into dense
pupil × month arrays (a month index ``t`` counts school-year months from April of the first
school year in the attendance table), which makes every trailing window, school-year
cumulative sum and "latest value as of month t" a vectorized array operation and keeps the
as-of rule simple to check: a value at ``t`` is computed from columns ``<= t`` only.

:func:`truncate_inputs` cuts every input at the end of a month (rows dated later are
dropped): scoring and the leakage test both build features from truncated inputs, so no
future row can reach a feature even when the store already holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import NotEnoughData
from kernel.school_calendar import FIRST_MONTH, SchoolMonth, month_offset

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

LONG_ABSENCE_DAYS = 30

ATTENDANCE_COLUMNS = (
    "school_days",
    "absence_days",
    "sick_days",
    "accident_days",
    "suspension_days",
    "late_count",
    "early_leave_count",
)


def month_label(school_year: int, offset: int) -> str:
    """``YYYY-MM`` of a school year's month offset (0 = April): the stored list-month key."""
    return str(SchoolMonth.of(school_year, offset))


@dataclass(frozen=True)
class RiskInputs:
    """The data the model may read, as DataFrames keyed by ``pupil_id``.

    - ``attendance``: pupil_id, school_year, month and :data:`ATTENDANCE_COLUMNS`
    - ``enrollments``: pupil_id, school_year, school_code, grade (optionally
      special_needs_class, japanese_support: audit only)
    - ``schools``: school_code, school_type (小学校 / 中学校)
    - ``long_absence``: pupil_id, school_year, month, absence_days, truancy
    - ``health_room``: pupil_id, visit_date (ISO), symptom
    - ``consultations``: pupil_id, consult_date (ISO)
    - ``survey``: pupil_id, school_year, survey_code, round, survey_date (ISO), domain,
      positive_share (0..1, share of the domain's items answered positively)
    - ``academic``: pupil_id, school_year, subject, level
    - ``pupils``: pupil_id, sex (audit only, never a model input)
    - ``school_context``: school_year, school_code, welfare_rate (the school's 就学援助率 in
      %; audit only: the city's files carry no per-pupil 就学援助)
    """

    attendance: pd.DataFrame
    enrollments: pd.DataFrame
    schools: pd.DataFrame
    long_absence: pd.DataFrame | None = None
    health_room: pd.DataFrame | None = None
    consultations: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    academic: pd.DataFrame | None = None
    pupils: pd.DataFrame | None = None
    school_context: pd.DataFrame | None = None


def compact_frame(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """Text columns as categoricals: dates, codes and domains repeat across a city's million
    rows, and one Python string per cell made the inputs the largest thing in memory."""
    if frame is None:
        return None
    text = [c for c in frame.columns
            if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
    if not text:
        return frame
    return frame.astype({c: "category" for c in text})


def compact_inputs(inputs: RiskInputs) -> RiskInputs:
    """The inputs with their text columns as categoricals (see :func:`compact_frame`)."""
    return replace(
        inputs,
        long_absence=compact_frame(inputs.long_absence),
        health_room=compact_frame(inputs.health_room),
        consultations=compact_frame(inputs.consultations),
        survey=compact_frame(inputs.survey),
        academic=compact_frame(inputs.academic),
    )


# Academic-survey results (taken in April) come back to schools in the summer: a year's
# results are used from the end of September (month offset 5) of that school year.
ACADEMIC_AVAILABLE_OFFSET = 5


def _ym_ok(frame: pd.DataFrame, school_year: int, offset: int) -> pd.Series:
    y = frame["school_year"].astype("int64")
    m = frame["month"].astype("int64").map(month_offset)
    return (y < school_year) | ((y == school_year) & (m <= offset))


def _date_ok(frame: pd.DataFrame, column: str, school_year: int, offset: int) -> pd.Series:
    last = pd.Timestamp(SchoolMonth.of(school_year, offset).last_day)
    dates = pd.to_datetime(frame[column], errors="coerce")
    return dates <= last


def truncate_inputs(inputs: RiskInputs, school_year: int, offset: int) -> RiskInputs:
    """The inputs as they were at the end of month ``offset`` of ``school_year``.

    Monthly rows after that month, dated rows after its last day, survey rounds held later
    and academic results not yet returned are dropped; enrollments of later school years too.
    """
    def ym(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else frame[_ym_ok(frame, school_year, offset)]

    def dated(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
        return None if frame is None else frame[_date_ok(frame, column, school_year, offset)]

    academic = inputs.academic
    if academic is not None:
        y = academic["school_year"].astype("int64")
        ok = (y < school_year) | ((y == school_year) & (offset >= ACADEMIC_AVAILABLE_OFFSET))
        academic = academic[ok]
    enrollments = inputs.enrollments[inputs.enrollments["school_year"] <= school_year]
    attendance = ym(inputs.attendance)
    assert attendance is not None
    return replace(
        inputs,
        attendance=attendance,
        enrollments=enrollments,
        long_absence=ym(inputs.long_absence),
        health_room=dated(inputs.health_room, "visit_date"),
        consultations=dated(inputs.consultations, "consult_date"),
        survey=dated(inputs.survey, "survey_date"),
        academic=academic,
    )


@dataclass(frozen=True)
class Panel:
    """Dense pupil × month arrays (NaN where the pupil has no attendance row that month)."""

    first_year: int
    n_years: int
    pupil_ids: IntArray  # (P,)
    enrolled: BoolArray  # (P, T) an attendance row exists
    values: dict[str, FloatArray]  # attendance columns, (P, T)
    school: IntArray  # (P, T) index into school_codes, -1 when unknown
    grade: FloatArray  # (P, T)
    school_codes: tuple[str, ...]
    junior_high: BoolArray  # per school index

    @property
    def n_months(self) -> int:
        return 12 * self.n_years

    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.first_year + self.n_years))

    def row_index(self, pupil_ids: Any) -> IntArray:
        """Rows of these pupil ids (−1 for unknown pupils)."""
        pos = np.searchsorted(self.pupil_ids, np.asarray(pupil_ids, dtype=np.int64))
        pos = np.clip(pos, 0, max(len(self.pupil_ids) - 1, 0))
        ok = (len(self.pupil_ids) > 0) & (self.pupil_ids[pos] == np.asarray(pupil_ids))
        return np.where(ok, pos, -1).astype(np.int64)

    def month_columns(self, school_year: Any, month: Any) -> IntArray:
        y = np.asarray(school_year, dtype=np.int64)
        m = (np.asarray(month, dtype=np.int64) - FIRST_MONTH) % 12
        return ((y - self.first_year) * 12 + m).astype(np.int64)

    def date_columns(self, dates: pd.Series) -> tuple[IntArray, BoolArray]:
        """Month index of ISO dates, and which dates were readable and inside the panel.

        Each distinct date is parsed once (a city's million survey answers fall on a few
        hundred days): no datetime or string copy of the whole column is made."""
        codes, uniques = pd.factorize(dates, use_na_sentinel=True)
        parsed = pd.to_datetime(pd.Series(uniques, dtype=object), errors="coerce")
        u_ok = np.r_[parsed.notna().to_numpy(), False]  # last slot: missing date
        u_year = np.r_[parsed.dt.year.fillna(0).to_numpy(dtype=np.int64), 0]
        u_month = np.r_[parsed.dt.month.fillna(4).to_numpy(dtype=np.int64), 4]
        idx = np.where(codes < 0, len(uniques), codes)
        ok = u_ok[idx]
        year = u_year[idx]
        month = u_month[idx]
        sy = year - (month < FIRST_MONTH)
        t = (sy - self.first_year) * 12 + (month - FIRST_MONTH) % 12
        ok &= (t >= 0) & (t < self.n_months)
        return t.astype(np.int64), ok


def build_panel(inputs: RiskInputs) -> Panel:
    """Dense arrays of attendance, school and grade for every pupil with attendance rows."""
    att = inputs.attendance
    if att.empty:
        raise NotEnoughData("出欠状況（月次）のデータがありません。先に取り込んでください。")
    first_year = int(att["school_year"].min())
    n_years = int(att["school_year"].max()) - first_year + 1
    t_all = 12 * n_years
    pupil_ids = np.unique(att["pupil_id"].to_numpy(dtype=np.int64))
    p = len(pupil_ids)
    rows = np.searchsorted(pupil_ids, att["pupil_id"].to_numpy(dtype=np.int64))
    cols = (
        (att["school_year"].to_numpy(dtype=np.int64) - first_year) * 12
        + (att["month"].to_numpy(dtype=np.int64) - FIRST_MONTH) % 12
    )
    enrolled = np.zeros((p, t_all), dtype=bool)
    enrolled[rows, cols] = True
    values: dict[str, FloatArray] = {}
    for name in ATTENDANCE_COLUMNS:
        arr = np.full((p, t_all), np.nan)
        raw = pd.to_numeric(att[name], errors="coerce").astype("float64").to_numpy()
        arr[rows, cols] = raw
        values[name] = arr

    schools = inputs.schools
    codes = tuple(sorted(str(c) for c in schools["school_code"]))
    type_of = dict(zip(schools["school_code"].astype(str), schools["school_type"].astype(str),
                       strict=True))
    junior_high = np.asarray([type_of.get(c) == "中学校" for c in codes], dtype=bool)
    code_index = {c: i for i, c in enumerate(codes)}

    enr = inputs.enrollments
    school = np.full((p, t_all), -1, dtype=np.int64)
    grade = np.full((p, t_all), np.nan)
    if not enr.empty:
        enr = enr[enr["pupil_id"].isin(pupil_ids)]
        enr = enr[(enr["school_year"] >= first_year) & (enr["school_year"] < first_year + n_years)]
        # One enrollment per pupil and year (the last given, as imports append).
        enr = enr.drop_duplicates(["pupil_id", "school_year"], keep="last")
        e_rows = np.searchsorted(pupil_ids, enr["pupil_id"].to_numpy(dtype=np.int64))
        e_year = enr["school_year"].to_numpy(dtype=np.int64) - first_year
        e_school = np.asarray(
            [code_index.get(str(c), -1) for c in enr["school_code"]], dtype=np.int64
        )
        e_grade = pd.to_numeric(enr["grade"], errors="coerce").astype("float64").to_numpy()
        for k in range(12):
            school[e_rows, e_year * 12 + k] = e_school
            grade[e_rows, e_year * 12 + k] = e_grade
    return Panel(
        first_year=first_year,
        n_years=n_years,
        pupil_ids=pupil_ids,
        enrolled=enrolled,
        values=values,
        school=school,
        grade=grade,
        school_codes=codes,
        junior_high=junior_high,
    )


# -- array helpers --------------------------------------------------------------------------


def trailing_sum(values: FloatArray, window: int) -> FloatArray:
    """Sum of the last ``window`` months up to and including t (missing counts as 0)."""
    filled = np.nan_to_num(values, nan=0.0)
    csum = np.cumsum(filled, axis=1)
    out = csum.copy()
    out[:, window:] = csum[:, window:] - csum[:, :-window]
    return out


def shift_months(values: FloatArray, k: int) -> FloatArray:
    """Value at t − k (NaN before the first month)."""
    out = np.full_like(values, np.nan)
    if k < values.shape[1]:
        out[:, k:] = values[:, : values.shape[1] - k]
    return out


def year_cumsum(values: FloatArray) -> FloatArray:
    """Cumulative sum within each school year (missing counts as 0)."""
    p, t = values.shape
    filled = np.nan_to_num(values, nan=0.0).reshape(p, t // 12, 12)
    return np.cumsum(filled, axis=2).reshape(p, t)


def year_cummax(flags: BoolArray) -> BoolArray:
    p, t = flags.shape
    return np.maximum.accumulate(flags.reshape(p, t // 12, 12), axis=2).reshape(p, t)


def year_totals(values: FloatArray, present: BoolArray) -> FloatArray:
    """Per pupil and school year: the total (NaN when no month is present)."""
    p, t = values.shape
    tot = np.nan_to_num(values, nan=0.0).reshape(p, t // 12, 12).sum(axis=2)
    any_present = present.reshape(p, t // 12, 12).any(axis=2)
    return np.where(any_present, tot, np.nan)


def per_year_to_months(per_year: FloatArray, shift_years: int = 0) -> FloatArray:
    """Broadcast (P, Y) to (P, 12·Y), optionally the value of ``shift_years`` earlier."""
    y = per_year.shape[1]
    shifted = np.full_like(per_year, np.nan)
    if shift_years < y:
        shifted[:, shift_years:] = per_year[:, : y - shift_years]
    return np.repeat(shifted, 12, axis=1)


def forward_fill(values: FloatArray, limit: int) -> FloatArray:
    """Latest non-missing value at or before t, at most ``limit`` months old."""
    p, t = values.shape
    idx = np.where(~np.isnan(values), np.arange(t)[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    rows = np.arange(p)[:, None]
    out = values[rows, np.maximum(last, 0)]
    too_old = (last < 0) | (np.arange(t)[None, :] - last > limit)
    return np.where(too_old, np.nan, out)


def scatter_counts(
    panel: Panel, pupil_ids: Any, t: IntArray, ok: BoolArray, weights: Any = None
) -> FloatArray:
    """Counts (or sums of ``weights``) per pupil and month."""
    rows = panel.row_index(pupil_ids)
    keep = ok & (rows >= 0)
    out = np.zeros((len(panel.pupil_ids), panel.n_months))
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)
    np.add.at(out, (rows[keep], t[keep]), w[keep])
    return out


def survey_positive_shares(
    responses: pd.DataFrame, items: pd.DataFrame, enrollments: pd.DataFrame
) -> pd.DataFrame:
    """Per pupil, survey round and item domain: the share of items answered positively.

    ``responses``: pupil_id, survey_code, school_year, round, survey_date, item_code, answer;
    ``items``: survey_code, school_year, grade, item_code, positive_answers ("3,4"), domain;
    the item of a response is the one of the pupil's grade that year (from ``enrollments``).
    Returns pupil_id, school_year, survey_code, round, survey_date, domain, positive_share.
    """
    enr = enrollments.drop_duplicates(["pupil_id", "school_year"], keep="last")[
        ["pupil_id", "school_year", "grade"]
    ]
    r = responses.merge(enr, on=["pupil_id", "school_year"], how="inner")
    it = items[["survey_code", "school_year", "grade", "item_code", "positive_answers", "domain"]]
    r = r.merge(it, on=["survey_code", "school_year", "grade", "item_code"], how="inner")
    answer = pd.to_numeric(r["answer"], errors="coerce").to_numpy(dtype=np.float64)
    codes, texts = pd.factorize(r["positive_answers"].astype("string"), use_na_sentinel=True)
    masks = np.zeros(len(texts) + 1, dtype=np.int64)  # last slot: missing list
    for i, text in enumerate(texts):
        for v in str(text).replace("、", ",").split(","):
            if v.strip().isdigit() and 0 <= int(v) < 62:
                masks[i] |= 1 << int(v)
    mask = masks[np.where(codes < 0, len(texts), codes)]
    ok = ~np.isnan(answer) & (mask > 0) & (answer >= 0) & (answer < 62)
    a = np.where(ok, answer, 0).astype(np.int64)
    hit = ((mask >> a) & 1).astype(np.float64)
    r = r.assign(positive=np.where(ok, hit, np.nan))
    r = r[r["positive"].notna()]
    keys = ["pupil_id", "school_year", "survey_code", "round", "domain"]
    out = (
        r.groupby(keys, as_index=False)
        .agg(survey_date=("survey_date", "min"), positive_share=("positive", "mean"))
    )
    return out[["pupil_id", "school_year", "survey_code", "round", "survey_date", "domain",
                "positive_share"]]
