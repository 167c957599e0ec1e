"""Calibration figures of a generated city, computed from its frames (and truth) only.

The tests hold these figures to the targets in ``calibration.toml``; the benchmark prints
them. Definitions:

- 不登校 share: pupil-years (per school type) that the 長期欠席調査 reports as 不登校;
- reasons of long absence: the long-absent pupil-years (>= 30 days, any reason) by reason —
  不登校, 病気 (most days 病気欠席), その他 (:func:`long_absence_reasons`);
- new 不登校 per school-month: pupils whose absences other than 病気欠席 and 出席停止・忌引
  reach 30 days in a month (the risk model's count), per school of the type, per year, per
  month "in which onsets happen" (months that get at least 2.5 % of the type's crossings:
  April and August are never among them);
- precursors: mean monthly absences in the 3 months before a truancy onset (truth) against
  pupil-months with no episode in the 3 months before and no onset, and the AUC of that mean;
  sudden onsets: onsets with not one absence day in the 3 months before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernel.school_calendar import FIRST_MONTH
from toda_desktop.demo.generator import DemoCity

LONG_ABSENCE_DAYS = 30


def _months(city: DemoCity) -> pd.DataFrame:
    """Attendance with school type, month order and the truth flags, sorted per pupil."""
    att = city.frames["attendance_monthly"]
    types = city.frames["schools"].set_index("school_code")["school_type"]
    enr = city.frames["enrollments"][["address_code", "school_year", "school_code"]]
    frame = pd.DataFrame(
        {
            "address_code": att["address_code"].astype(str).to_numpy(),
            "school_year": att["school_year"].to_numpy(),
            "month": att["month"].to_numpy(),
            "absence": att["absence_days"].to_numpy(),
            "nonsick": (
                att["absence_days"] - att["sick_days"] - att["suspension_days"]
            ).clip(lower=0).to_numpy(),
            "truant": city.truth["attendance"]["truant"].to_numpy(),
            "onset": city.truth["attendance"]["onset"].to_numpy(),
        }
    )
    school = enr.assign(address_code=enr["address_code"].astype(str))
    frame = frame.merge(school, on=["address_code", "school_year"], how="left")
    frame["junior_high"] = frame["school_code"].map(types).eq("中学校").to_numpy()
    frame["t"] = ((frame["school_year"] - city.config.first_year) * 12
                  + (frame["month"] - FIRST_MONTH) % 12)
    return frame.sort_values(["address_code", "t"], kind="stable").reset_index(drop=True)


def _label(junior_high: bool) -> str:
    return "junior_high" if junior_high else "primary"


def long_absence_share(city: DemoCity) -> dict[str, float]:
    """Share of pupil-years with >= 30 absence days for any reason, per school type."""
    m = _months(city)
    year = m.groupby(["address_code", "school_year", "junior_high"])["absence"].sum()
    share = (year >= LONG_ABSENCE_DAYS).groupby(level="junior_high").mean()
    return {_label(bool(k)): float(v) for k, v in share.items()}


def truancy_share(city: DemoCity) -> dict[str, float]:
    """Share of pupil-years reported 不登校 in the 長期欠席調査, per school type."""
    m = _months(city)
    years = m.drop_duplicates(["address_code", "school_year"])[
        ["address_code", "school_year", "junior_high"]
    ]
    la = city.frames["long_absence"]
    truant = la[la["truancy"] > 0].assign(address_code=la["address_code"].astype(str))
    flagged = truant.drop_duplicates(["address_code", "school_year"])[
        ["address_code", "school_year"]
    ].assign(truant=True)
    years = years.merge(flagged, on=["address_code", "school_year"], how="left")
    share = years["truant"].fillna(False).astype(bool).groupby(years["junior_high"]).mean()
    return {_label(bool(k)): float(v) for k, v in share.items()}


def new_long_absences_per_school_month(city: DemoCity) -> dict[str, float]:
    """Pupils reaching 30 absence days for any reason, per school-month (see above)."""
    return _crossings_per_school_month(city, "absence")


def new_truancy_per_school_month(city: DemoCity) -> dict[str, float]:
    """Pupils reaching 30 days of absence other than 病気欠席 and 出席停止・忌引 (the risk
    model's count of a 不登校 onset), per school-month."""
    return _crossings_per_school_month(city, "nonsick")


def _crossings_per_school_month(city: DemoCity, column: str) -> dict[str, float]:
    m = _months(city)
    cum = m.groupby(["address_code", "school_year"])[column].cumsum()
    crossing = m[(cum >= LONG_ABSENCE_DAYS) & (cum - m[column] < LONG_ABSENCE_DAYS)]
    schools = city.frames["schools"]["school_type"].eq("中学校").value_counts()
    out = {}
    for jh, g in crossing.groupby("junior_high"):
        per_month = g.groupby("month").size()
        active = int((per_month >= 0.025 * len(g)).sum())
        n_schools = int(schools.get(bool(jh), 0))
        out[_label(bool(jh))] = len(g) / (n_schools * len(city.config.years) * active)
    return out


@dataclass(frozen=True)
class Precursors:
    onsets: int
    mean_before_onset: float
    mean_otherwise: float
    auc: float
    share_little_warning: float  # onsets with < 0.5 absence days a month before
    share_false_alarm: float  # pupil-months with >= 3 days a month before but no onset
    share_sudden: float  # onsets with not one absence day in the 3 months before


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    ranks = pd.Series(np.r_[positive, negative]).rank().to_numpy()
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precursors(city: DemoCity) -> Precursors:
    m = _months(city)
    g = m.groupby("address_code", sort=False)
    same_pupil = [g["t"].shift(k) == m["t"] - k for k in (1, 2, 3)]
    complete = np.logical_and.reduce(same_pupil)
    before = pd.concat([g["absence"].shift(k) for k in (1, 2, 3)], axis=1).mean(axis=1)
    truant_before = pd.concat([g["truant"].shift(k) for k in (1, 2, 3)], axis=1).max(axis=1) > 0
    eligible = complete & ~truant_before
    onset = eligible & (m["onset"] == 1)
    other = eligible & (m["onset"] == 0) & (m["truant"] == 0)
    pos = before[onset].to_numpy(dtype=float)
    neg = before[other].to_numpy(dtype=float)
    high = before >= 3
    return Precursors(
        onsets=int(onset.sum()),
        mean_before_onset=float(pos.mean()),
        mean_otherwise=float(neg.mean()),
        auc=_auc(pos, neg),
        share_little_warning=float((pos < 0.5).mean()),
        share_false_alarm=float((other & high).sum() / max((eligible & high).sum(), 1)),
        share_sudden=float((pos == 0).mean()),
    )


def persistence(city: DemoCity) -> float:
    """Share of long-absent pupils still long-absent the next year (if still enrolled)."""
    m = _months(city)
    year = m.groupby(["address_code", "school_year"])["absence"].sum().reset_index()
    year["long"] = year["absence"] >= LONG_ABSENCE_DAYS
    nxt = year.assign(school_year=year["school_year"] - 1)
    pairs = year.merge(nxt, on=["address_code", "school_year"], suffixes=("", "_next"))
    long = pairs[pairs["long"]]
    return float(long["long_next"].mean())


def pre_onset_months(city: DemoCity) -> pd.DataFrame:
    """Pupil-months with ``pre`` = an onset (truth) follows within the next 3 months."""
    m = _months(city)
    g = m.groupby("address_code", sort=False)
    soon = sum(
        (g["onset"].shift(-k).fillna(0) == 1) & (g["t"].shift(-k) == m["t"] + k) for k in (1, 2, 3)
    )
    m["pre"] = (soon > 0) & (m["truant"] == 0)
    return m


def other_precursors(city: DemoCity) -> dict[str, float]:
    """Ratios pre-onset / other months for lateness, 心因 visits, consultations; survey gaps."""
    m = pre_onset_months(city)
    att = city.frames["attendance_monthly"]
    key = ["address_code", "school_year", "month"]
    late = att[key].assign(
        late=att["late_count"].to_numpy(), address_code=att["address_code"].astype(str)
    )
    m = m.merge(late, on=key, how="left")
    calm = (m["truant"] == 0) & ~m["pre"]
    out = {"late_ratio": float(m.loc[m["pre"], "late"].mean() / m.loc[calm, "late"].mean())}

    def per_month(frame: pd.DataFrame, date_col: str) -> pd.DataFrame:
        d = pd.to_datetime(frame[date_col])
        return pd.DataFrame(
            {
                "address_code": frame["address_code"].astype(str).to_numpy(),
                "school_year": (d.dt.year - (d.dt.month < FIRST_MONTH)).to_numpy(),
                "month": d.dt.month.to_numpy(),
            }
        )

    visits = city.frames["health_room_visits"]
    v = per_month(visits, "visit_date").assign(
        psy=visits["symptom"].eq("心因").fillna(False).to_numpy()
    )
    v = v.merge(m[[*key, "pre", "truant"]], on=key, how="left")
    calm_v = (v["truant"] == 0) & ~v["pre"].astype(bool)
    out["psy_share_pre"] = float(v.loc[v["pre"].astype(bool), "psy"].mean())
    out["psy_share_other"] = float(v.loc[calm_v, "psy"].mean())
    c = per_month(city.frames["consultations"], "consult_date").assign(n=1)
    c = c.groupby(key)["n"].sum().reset_index()
    m = m.merge(c, on=key, how="left").fillna({"n": 0})
    out["consult_ratio_truant"] = float(
        m.loc[m["truant"] == 1, "n"].mean() / m.loc[calm, "n"].mean()
    )
    # Survey answers (positive-oriented) in the months before an onset vs calm months.
    resp = city.frames["survey_responses"]
    items = city.frames["survey_items"].drop_duplicates(["survey_code", "item_code"])
    r = resp.merge(
        items[["survey_code", "item_code", "domain", "positive_answers"]],
        on=["survey_code", "item_code"],
    )
    reverse = r["positive_answers"].eq("1,2").to_numpy()
    score = np.where(reverse, 5 - r["answer"].to_numpy(), r["answer"].to_numpy())
    d = pd.to_datetime(r["survey_date"])
    s = pd.DataFrame(
        {
            "address_code": r["address_code"].astype(str).to_numpy(),
            "school_year": r["school_year"].to_numpy(),
            "month": d.dt.month.to_numpy(),
            "domain": r["domain"].astype(str).to_numpy(),
            "score": score,
        }
    ).merge(m[[*key, "pre", "truant"]], on=key, how="left")
    for domain in ("友人関係", "教師関係", "学習", "家庭"):
        sd = s[s["domain"] == domain]
        pre = sd["pre"].astype(bool)
        calm_s = (sd["truant"] == 0) & ~pre
        out[f"survey_gap_{domain}"] = float(
            sd.loc[calm_s, "score"].mean() - sd.loc[pre, "score"].mean()
        )
    return out


def long_absence_reasons(city: DemoCity) -> dict[str, float]:
    """Shares of the long-absent pupil-years (>= 30 absence days) by reason, as the 長期欠席調査
    would count them: 不登校 when the survey says so, 病気 when most of the days were 病気欠席,
    その他 otherwise; and ``n``, the number of long-absent pupil-years."""
    att = city.frames["attendance_monthly"]
    year = (
        att.assign(address_code=att["address_code"].astype(str))
        .groupby(["address_code", "school_year"])[["absence_days", "sick_days"]]
        .sum()
    )
    long = year[year["absence_days"] >= LONG_ABSENCE_DAYS].reset_index()
    la = city.frames["long_absence"]
    truant = (
        la.assign(address_code=la["address_code"].astype(str))
        .groupby(["address_code", "school_year"])["truancy"]
        .max()
        .rename("truancy")
        .reset_index()
    )
    long = long.merge(truant, on=["address_code", "school_year"], how="left")
    is_truant = long["truancy"].fillna(0).to_numpy() > 0
    ill = ~is_truant & (long["sick_days"] * 2 >= long["absence_days"]).to_numpy()
    n = len(long)
    return {
        "不登校": float(is_truant.mean()) if n else 0.0,
        "病気": float(ill.mean()) if n else 0.0,
        "その他": float((~is_truant & ~ill).mean()) if n else 0.0,
        "n": float(n),
    }
