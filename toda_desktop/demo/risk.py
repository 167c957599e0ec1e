"""The latent per-pupil risk process behind absences, health-room visits and survey answers.

Every pupil has a static vulnerability ``v`` (individual spread plus welfare, special needs,
Japanese support and the school's welfare rate) and a monthly strain ``z`` that follows an
AR(1) process with occasional shocks (becoming a bullying victim, a family event). The risk
is ``r = v + z``. Each month a pupil not yet in a truancy episode enters one with hazard
``logit h = alpha[grade] + beta * r + month effect``; an episode usually lasts the rest of the
school year and carries over to the next April with a set probability. Because ``z`` is
persistent, risk (and with it absences, lateness and 心因 visits) rises in the months before
most onsets — a learnable but noisy signal: high-risk pupils often never start an episode
(false alarms), and shocks start some episodes with hardly any warning. The process runs a few
burn-in years before the first generated year so that continuing episodes exist from the start.
"""

from __future__ import annotations

import numpy as np

from toda_desktop.demo import params
from toda_desktop.demo.rng import stream
from toda_desktop.demo.schooldays import build_calendar
from toda_desktop.demo.world import Risk, World


def simulate_risk(world: World) -> Risk:
    """Latent monthly risk, truancy episodes and bullying shocks for every pupil."""
    cfg = world.config
    rng = stream(cfg.seed, "risk")
    p = params.calibration()["risk"]
    pupils = world.pupils
    n = len(pupils)
    burn = int(p["burn_in_years"])
    years = tuple(range(cfg.first_year - burn, cfg.last_year + 1))
    days = build_calendar(years).days
    mean_days = days[burn:].mean()

    # Static vulnerability and traits; ability is mildly correlated with low vulnerability.
    base = rng.standard_normal(n)
    school_welfare = world.schools.welfare_rate[pupils.home_school]
    sn_any = pupils.special_needs_grade < 99
    vulnerability = (
        float(p["sd_vulnerability"]) * base
        + float(p["welfare_effect"]) * pupils.welfare
        + float(p["special_needs_effect"]) * sn_any
        + float(p["jsl_effect"]) * (pupils.jsl_until_grade > 0)
        + float(p["school_welfare_effect"]) * (school_welfare - 15.0) / 10.0
    )
    rho_ab = float(p["ability_vulnerability_corr"])
    ability = -rho_ab * base + np.sqrt(1 - rho_ab**2) * rng.standard_normal(n)
    ability -= 0.3 * pupils.welfare
    frailty = rng.gamma(float(p["frailty_shape"]), 1 / float(p["frailty_shape"]), n)
    lateness = rng.gamma(float(p["lateness_shape"]), 1 / float(p["lateness_shape"]), n)
    intensity = rng.beta(float(p["intensity_a"]), float(p["intensity_b"]), n)

    alpha = np.asarray(params.floats(p["alpha_by_grade"]))  # index grade-1
    month_effect = np.log(np.asarray(params.floats(p["onset_month_factor"])))
    bully_rate = np.asarray(params.floats(p["bullying_rate_by_grade"]))
    beta = float(p["beta"])
    rho = float(p["rho"])
    eps_sd = np.sqrt(1 - rho**2)
    recover = float(p["monthly_recovery"])
    persist = float(p["persist_next_year"])
    persist_jh = float(p["persist_into_junior_high"])
    bully_shock = float(p["bullying_shock"])
    life_rate = float(p["life_event_rate"])
    ill_rate = float(p["long_illness_rate"])

    t_all = 12 * len(years)
    risk = np.empty((n, t_all))
    truant = np.zeros((n, t_all), dtype=bool)
    onset = np.zeros((n, t_all), dtype=bool)
    bullied = np.zeros((n, t_all), dtype=bool)
    illness = np.zeros((n, t_all))
    z = rng.standard_normal(n)
    state = np.zeros(n, dtype=bool)
    ill_left = np.zeros(n, dtype=np.int64)
    ill_share = np.zeros(n)
    for t in range(t_all):
        yi, m = divmod(t, 12)
        grade = years[yi] - pupils.cohort + 1
        active = (grade >= 1) & (grade <= 9)
        g = np.clip(grade, 1, 9) - 1
        day_share = days[yi, m] / mean_days
        victim = active & (rng.random(n) < bully_rate[g] * day_share * np.exp(0.4 * vulnerability))
        life = rng.random(n) < life_rate
        z = (
            rho * z
            + eps_sd * rng.standard_normal(n)
            + bully_shock * victim
            + life * rng.uniform(1.0, 2.0, n)
        )
        r = vulnerability + z
        if m == 0:
            keep = np.where(grade == 7, persist_jh, persist)
            state &= rng.random(n) < keep
        else:
            state &= rng.random(n) >= recover
        h = 1 / (1 + np.exp(-(alpha[g] + beta * r + month_effect[m])))
        new = active & ~state & (rng.random(n) < h)
        state = (state | new) & active
        # Long illnesses (hospital stays, chronic conditions): the non-truancy long absences.
        start_ill = active & (ill_left == 0) & (rng.random(n) < ill_rate / 12)
        ill_left[start_ill] = rng.integers(2, 6, int(start_ill.sum()))
        ill_share[start_ill] = rng.uniform(0.4, 0.9, int(start_ill.sum()))
        illness[:, t] = np.where(ill_left > 0, ill_share, 0.0)
        ill_left = np.maximum(ill_left - 1, 0)
        risk[:, t] = r
        truant[:, t] = state
        onset[:, t] = new
        bullied[:, t] = victim
    keep_from = 12 * burn
    return Risk(
        risk=risk[:, keep_from:],
        truant=truant[:, keep_from:],
        onset=onset[:, keep_from:],
        intensity=intensity,
        bullied=bullied[:, keep_from:],
        ability=ability,
        frailty=frailty,
        lateness=lateness,
        illness=illness[:, keep_from:],
        vulnerability=vulnerability,
    )
