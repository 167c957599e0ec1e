"""Health-room visits (保健室利用) and the yearly school health checkup (学校健診).

Visits happen on school days while the pupil is present; their rate and the share of 心因
(psychological) visits rise with the latent risk, so more visits are one of the noisy
precursors of a truancy onset. Chronically ill pupils come more often, for physical reasons.
Heights and weights follow the national means by age and sex
with a persistent per-pupil deviation (children keep their place on the growth chart).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from toda_desktop.demo import params
from toda_desktop.demo.attendance import PupilMonths, chronic_illness
from toda_desktop.demo.frames import hhmm, iso_dates, make_frame, nullable
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import World

SYMPTOMS = ("内科", "外科", "心因", "その他")


def _phrase(rng: np.random.Generator, items: list[str], weights: list[float], n: int) -> Any:
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray(items, dtype=object)[rng.choice(len(items), n, p=w / w.sum())]


def health_room_visits(world: World, months: PupilMonths) -> pd.DataFrame:
    """Individual visits: date, time in and out, symptom class."""
    assert world.risk is not None
    rng = stream(world.config.seed, "health_room")
    p = params.calibration()["health_room"]
    jh = world.schools.junior_high[world.enrollment.school[months.enr]]
    present = months.school_days - months.absent
    rate = np.where(jh, float(p["rate_junior_high"]), float(p["rate_primary"]))
    # A chronic illness brings more (内科) visits, not more 心因 ones.
    chronic = chronic_illness(world)[months.pid] > 0
    lam = present * rate * np.sqrt(world.risk.frailty[months.pid])
    lam = lam * np.where(chronic, float(p["chronic_visit_factor"]), 1.0)
    lam = lam * np.exp(float(p["risk_effect"]) * months.risk)
    count = rng.poisson(lam)
    row = np.repeat(np.arange(len(months)), count)
    n = len(row)
    pid = months.pid[row]
    day = world.calendar.random_days(months.year_idx[row], months.month_idx[row], rng)

    part = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    lo = np.asarray([9 * 60, 13 * 60, 12 * 60 + 15])[part]
    hi = np.asarray([12 * 60, 15 * 60 + 30, 13 * 60 + 15])[part]
    t_in = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    stay = np.clip(np.exp(rng.normal(float(p["log_stay_minutes"]), 0.6, n)), 3, 120)
    t_out = t_in + stay.astype(np.int64)

    base = np.asarray(params.floats(p["symptom_weights"]))
    psy_base = np.where(jh[row], float(p["psy_share_junior_high"]), float(p["psy_share_primary"]))
    logit = np.log(psy_base / (1 - psy_base)) + float(p["psy_risk_effect"]) * months.risk[row]
    psy = rng.random(n) < 1 / (1 + np.exp(-logit))
    other = rng.choice([0, 1, 3], n, p=base[[0, 1, 3]] / base[[0, 1, 3]].sum())
    symptom = np.asarray(SYMPTOMS, dtype=object)[np.where(psy, 2, other)]

    cols = {
        "address_code": world.pupils.address_code[pid],
        "visit_date": iso_dates(day),
        "time_in": nullable(hhmm(t_in), rng.random(n) < float(p["missing_time_in"])),
        "time_out": nullable(hhmm(t_out), rng.random(n) < float(p["missing_time_out"])),
        "symptom": nullable(symptom, rng.random(n) < float(p["missing_symptom"])),
    }
    frame = make_frame("health_room_visits", cols)
    order = np.lexsort((t_in, day, row))
    frame = frame.iloc[order].reset_index(drop=True)
    dup = frame.duplicated(["address_code", "visit_date", "time_in"])
    return frame[~dup].reset_index(drop=True)


def health_checkups(world: World, months: PupilMonths) -> pd.DataFrame:
    """One checkup per pupil and year for pupils enrolled by June (some missed)."""
    assert world.risk is not None
    rng = stream(world.config.seed, "health_checkups")
    p = params.calibration()["health_checkups"]
    texts = params.phrases()["health_checkups"]
    enr = world.enrollment
    pupils = world.pupils
    n_p = len(pupils)
    # Persistent growth-chart positions, correlated between height and weight.
    hz = rng.standard_normal(n_p)
    wz = 0.5 * hz + np.sqrt(0.75) * rng.standard_normal(n_p)
    may = enr.year_idx * 12 + 1
    truant = world.risk.truant[enr.pid, may]
    took = (enr.start_m <= 2) & (rng.random(len(enr)) >= float(p["missed"]))
    took &= ~truant | (rng.random(len(enr)) < float(p["truant_attend"]))
    idx = np.flatnonzero(took)
    pid = enr.pid[idx]
    age = np.clip(enr.grade[idx] + 5, 6, 14) - 6
    sex = pupils.female[pid].astype(np.int64)
    h_mean = np.asarray([params.floats(p["height_male"]), params.floats(p["height_female"])])
    h_sd = np.asarray([params.floats(p["height_sd_male"]), params.floats(p["height_sd_female"])])
    w_mean = np.asarray([params.floats(p["weight_male"]), params.floats(p["weight_female"])])
    k = len(idx)
    height = h_mean[sex, age] + h_sd[sex, age] * hz[pid] + rng.normal(0, 0.6, k)
    weight = w_mean[sex, age] * np.exp(float(p["weight_log_sd"]) * wz[pid] + rng.normal(0, 0.03, k))
    has_text = rng.random(k) < float(texts["share_with_text"])
    findings = _phrase(rng, texts["findings"], texts["findings_weights"], k)
    missing_h = rng.random(k) < float(p["missing_value"])
    cols = {
        "address_code": pupils.address_code[pid],
        "school_year": np.asarray(world.years)[enr.year_idx[idx]],
        "height_cm": nullable(np.round(height, 1), missing_h),
        "weight_kg": nullable(np.round(weight, 1), missing_h & (rng.random(k) < 0.5)),
        "findings": nullable(findings, ~has_text),
    }
    return make_frame("health_checkups", cols)
