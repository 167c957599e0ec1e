"""Monthly attendance (出欠状況) and the long-absence survey (長期欠席調査).

Every enrolled pupil has a row for every enrolled month (April … March, August included with
its few school days). 欠席日数 = 病気 + 事故 + 出席停止・忌引 + occasionally an unclassified
day, so the three categories sum to at most 欠席日数. Truancy-episode days are mostly
事故欠席 (some reported as 病気); outside an episode, 事故欠席, lateness and early leaving
rise with the latent risk — the precursors of an onset (事故欠席 mostly with its monthly
strain part).

Long absences that are not 不登校, in the national proportions (MEXT 令和5年度: of the
long-absent 70 % 不登校, 21 % illness, 8 % other reasons):

- a *chronic illness* group (:func:`chronic_illness`: asthma, diabetes, heart or kidney
  disease, treatment in hospital …): a fixed share of pupils who miss a steady share of their
  school days as 病気欠席, year after year, and visit the health room more (内科), without the
  truancy process's precursors — many sick days and no other sign;
- long illnesses (hospital stays of a few months, from the risk process), also 病気欠席;
- *family circumstances* (看病, 家庭の事情, 経済的理由): episodes of a few months of 事故欠席 in a
  pupil-year, not 不登校 in the survey.

長期欠席調査 has a row per month from the month a pupil's cumulative absences in the school
year reach 30 (欠席日数 = cumulative days), plus some schools' early reports of a truancy
episode before 30 days; 不登校 is 1 when the absences come mostly from a truancy episode, and
主たる要因 (MEXT categories) is given for 不登校 rows only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kernel.school_calendar import SCHOOL_MONTHS as MONTHS
from toda_desktop.demo import params
from toda_desktop.demo.frames import make_frame, nullable
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import BoolArray, FloatArray, IntArray, World

LONG_ABSENCE_DAYS = 30


@dataclass(frozen=True)
class PupilMonths:
    """One row per enrolled pupil and month, in enrollment order (the attendance rows)."""

    enr: IntArray  # enrollment row
    pid: IntArray
    year_idx: IntArray
    month_idx: IntArray
    t: IntArray  # year_idx * 12 + month_idx
    school_days: IntArray
    absent: IntArray
    truant_days: IntArray
    risk: FloatArray
    truant: BoolArray
    onset: BoolArray
    bullied: BoolArray

    def __len__(self) -> int:
        return len(self.pid)


def expand_months(world: World) -> tuple[IntArray, IntArray]:
    """Enrollment row and month index of every enrolled pupil-month."""
    enr = world.enrollment
    counts = enr.end_m - enr.start_m + 1
    rows = np.repeat(np.arange(len(enr)), counts)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, enr.start_m[rows] + offsets


def chronic_illness(world: World) -> FloatArray:
    """Per pupil: the share of school days missed through a chronic illness (0 for most)."""
    rng = stream(world.config.seed, "chronic_illness")
    p = params.calibration()["attendance"]
    n = len(world.pupils)
    ill = rng.random(n) < float(p["chronic_share"])
    lo, hi = params.floats(p["chronic_days_share"])
    return np.where(ill, rng.uniform(lo, hi, n), 0.0)


def _family_absence(world: World, rows: IntArray, month_idx: IntArray) -> FloatArray:
    """Per pupil-month: the share of days missed for family circumstances (事故欠席)."""
    rng = stream(world.config.seed, "family_absence")
    p = params.calibration()["attendance"]
    n_enr = len(world.enrollment)
    episode = rng.random(n_enr) < float(p["family_episode_rate"])
    start = rng.integers(0, 10, n_enr)
    length = rng.integers(2, 6, n_enr)
    lo, hi = params.floats(p["family_days_share"])
    share = rng.uniform(lo, hi, n_enr)
    on = episode[rows] & (month_idx >= start[rows]) & (month_idx < start[rows] + length[rows])
    return np.where(on, share[rows], 0.0)


def _clip_total(parts: list[IntArray], cap: IntArray) -> None:
    """Reduce the parts in order until their sum is at most ``cap`` (in place)."""
    excess = np.maximum(sum(parts) - cap, 0)
    for part in parts:
        cut = np.minimum(part, excess)
        part -= cut
        excess -= cut


def generate_attendance(world: World) -> tuple[dict[str, Any], PupilMonths]:
    """Columns of ``attendance_monthly`` and the pupil-month table used by later steps."""
    assert world.risk is not None
    risk = world.risk
    rng = stream(world.config.seed, "attendance")
    p = params.calibration()["attendance"]
    enr = world.enrollment
    rows, month_idx = expand_months(world)
    pid = enr.pid[rows]
    yi = enr.year_idx[rows]
    t = yi * 12 + month_idx
    days = world.calendar.days[yi, month_idx]
    jh = world.schools.junior_high[enr.school[rows]]
    r = risk.risk[pid, t]
    truant = risk.truant[pid, t]
    n = len(pid)

    def level(key: str) -> FloatArray:
        return np.where(jh, float(p[f"{key}_junior_high"]), float(p[f"{key}_primary"]))

    sick_season = np.asarray(params.floats(p["sick_month_factor"]))[month_idx]
    susp_season = np.asarray(params.floats(p["suspension_month_factor"]))[month_idx]
    year_factor = {int(k): float(v) for k, v in p["suspension_year_factor"].items()}
    susp_year = np.asarray([year_factor.get(y, 1.0) for y in world.years])[yi]

    sick = rng.poisson(
        days * level("sick") * risk.frailty[pid] * sick_season * np.exp(float(p["sick_risk"]) * r)
    )
    # The monthly strain drives 事故欠席 more than the static vulnerability does, so that
    # absences rise before an onset without making every vulnerable pupil long-absent.
    static = risk.vulnerability[pid]
    accident_rate = level("accident") * np.exp(
        float(p["accident_strain"]) * (r - static) + float(p["accident_static"]) * static
    )
    accident = rng.poisson(days * accident_rate)
    q = np.clip(risk.intensity[pid] + rng.normal(0, float(p["intensity_noise"]), n), 0.05, 1.0)
    truant_days = np.where(truant, rng.binomial(days, q), 0)
    somatic = rng.binomial(truant_days, float(p["truancy_reported_sick"]))
    chronic = chronic_illness(world)[pid]
    chronic_month = chronic * rng.gamma(4.0, 0.25, n)  # flare-ups and better months
    ill_share = np.clip(np.maximum(risk.illness[pid, t], chronic_month), 0.0, 0.95)
    ill_days = rng.binomial(days, ill_share)
    family_days = rng.binomial(days, _family_absence(world, rows, month_idx))
    suspension = rng.poisson(days * float(p["suspension"]) * susp_season * susp_year)
    other = (rng.random(n) < float(p["unclassified"])).astype(np.int64)
    sick_total = (sick + somatic + ill_days).astype(np.int64)
    accident_total = (accident + truant_days - somatic + family_days).astype(np.int64)
    suspension = suspension.astype(np.int64)
    parts = [accident_total, sick_total, suspension, other]
    _clip_total(parts, days)
    absent = sum(parts)
    assert isinstance(absent, np.ndarray)
    truant_kept = np.minimum(truant_days, absent)
    present = days - absent
    late = rng.poisson(
        present * level("late") * risk.lateness[pid] * np.exp(float(p["late_risk"]) * r)
    )
    early = rng.poisson(
        present
        * level("early_leave")
        * np.sqrt(risk.frailty[pid])
        * np.exp(float(p["early_leave_risk"]) * r)
    )
    late = np.minimum(late, present)
    early = np.minimum(early, present)

    cols: dict[str, Any] = {
        "address_code": world.pupils.address_code[pid],
        "school_year": np.asarray(world.years)[yi],
        "month": np.asarray(MONTHS)[month_idx],
        "school_days": days,
        "absence_days": absent,
        "sick_days": sick_total,
        "accident_days": accident_total,
        "suspension_days": suspension,
        "late_count": late,
        "early_leave_count": early,
    }
    months = PupilMonths(
        enr=rows,
        pid=pid,
        year_idx=yi,
        month_idx=month_idx,
        t=t,
        school_days=days,
        absent=absent,
        truant_days=truant_kept,
        risk=r,
        truant=truant,
        onset=risk.onset[pid, t],
        bullied=risk.bullied[pid, t],
    )
    return cols, months


def _group_cumsum(values: IntArray, groups: IntArray) -> IntArray:
    """Cumulative sum restarting at each new group (rows of a group are contiguous)."""
    total = np.cumsum(values)
    start = np.r_[True, groups[1:] != groups[:-1]]
    base = np.repeat(
        total[start] - values[start], np.diff(np.r_[np.flatnonzero(start), len(values)])
    )
    return total - base


def generate_long_absence(world: World, months: PupilMonths) -> dict[str, Any]:
    """Columns of ``long_absence`` from the attendance of each pupil-year."""
    rng = stream(world.config.seed, "long_absence")
    p = params.calibration()["long_absence"]
    cum = _group_cumsum(months.absent, months.enr)
    cum_truant = _group_cumsum(months.truant_days, months.enr)
    ever_truant = _group_cumsum(months.truant.astype(np.int64), months.enr) > 0
    n_enr = len(world.enrollment)
    early_report = rng.random(n_enr) < float(p["early_report_share"])
    truancy = ever_truant & (cum_truant > 0) & (cum_truant * 2 >= cum)
    reported = truancy & early_report[months.enr]
    keep = (cum >= LONG_ABSENCE_DAYS) | reported

    bullied_year = np.zeros(n_enr, dtype=bool)
    bullied_year[months.enr[months.bullied]] = True
    factors: list[str] = list(p["factors"])
    jh = world.schools.junior_high[world.enrollment.school]
    draws = np.empty(n_enr, dtype=object)
    for mask, key in (
        (~jh & ~bullied_year, "factor_weights_primary"),
        (jh & ~bullied_year, "factor_weights_junior_high"),
        (bullied_year, "factor_weights_bullied"),
    ):
        w = np.asarray(params.floats(p[key]))
        draws[mask] = np.asarray(factors, dtype=object)[
            rng.choice(len(factors), int(mask.sum()), p=w / w.sum())
        ]
    idx = np.flatnonzero(keep)
    factor = nullable(draws[months.enr[idx]], ~truancy[idx])
    return {
        "address_code": world.pupils.address_code[months.pid[idx]],
        "school_year": np.asarray(world.years)[months.year_idx[idx]],
        "month": np.asarray(MONTHS)[months.month_idx[idx]],
        "absence_days": cum[idx],
        "truancy": truancy[idx].astype(np.int64),
        "main_factor": factor,
    }


def attendance_frames(world: World) -> tuple[dict[str, Any], PupilMonths]:
    """Frames of ``attendance_monthly`` and ``long_absence`` plus the pupil-month table."""
    cols, months = generate_attendance(world)
    frames = {
        "attendance_monthly": make_frame("attendance_monthly", cols),
        "long_absence": make_frame("long_absence", generate_long_absence(world, months)),
    }
    return frames, months
