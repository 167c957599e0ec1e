"""Results of the prefectural academic survey (県学調) for grades 4–9, taken each April.

学力レベル (1–12) rises about one level a year; a pupil keeps a stable per-subject ability
(correlated with general ability, which is mildly lower for vulnerable pupils) plus a personal
growth slope, so value-added analyses have something to find; each school adds its planted
effect (``school_effects.growth``) to every year a pupil is tested while enrolled there,
cumulated over the years (so a year's growth carries that year's school); a pupil's worse
school years (``engagement``) pull that April's test down in every subject, so about one
pupil in seven does not raise the mean level in a year. Pupils in a
truancy episode in April often miss the test; their rows are then absent, not zero.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from toda_desktop.demo import params
from toda_desktop.demo.engagement import engagement_dip
from toda_desktop.demo.frames import make_frame
from toda_desktop.demo.rng import stream
from toda_desktop.demo.school_effects import school_effects
from toda_desktop.demo.world import World

PRIMARY_SUBJECTS = ("国語", "算数")
JUNIOR_HIGH_SUBJECTS = ("国語", "数学", "英語")


def academic_results(world: World) -> pd.DataFrame:
    assert world.risk is not None
    rng = stream(world.config.seed, "academics")
    p = params.calibration()["academics"]
    enr = world.enrollment
    n_p = len(world.pupils)
    ability = world.risk.ability
    # Per pupil: ability in Japanese, mathematics, English and a growth slope.
    subject_ability = 0.8 * ability[:, None] + 0.6 * rng.standard_normal((n_p, 3))
    growth = rng.normal(0, float(p["growth_sd"]), n_p)
    april_truant = world.risk.truant[enr.pid, enr.year_idx * 12]
    took = (enr.grade >= 4) & (enr.start_m == 0)
    took &= rng.random(len(enr)) >= float(p["absent"])
    took &= ~april_truant | (rng.random(len(enr)) < float(p["truant_attend"]))
    idx = np.flatnonzero(took)
    jh = enr.grade[idx] >= 7
    n_subj = np.where(jh, 3, 2)
    row = np.repeat(idx, n_subj)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(n_subj) - n_subj, n_subj)
    jh_row = enr.grade[row] >= 7
    subject = np.where(
        jh_row,
        np.asarray(JUNIOR_HIGH_SUBJECTS, dtype=object)[np.minimum(slot, 2)],
        np.asarray(PRIMARY_SUBJECTS, dtype=object)[np.minimum(slot, 1)],
    )
    pid = enr.pid[row]
    grade = enr.grade[row]
    mean_level = np.asarray(params.floats(p["mean_level_by_grade"]))[grade - 4]
    z = subject_ability[pid, slot] + growth[pid] * (grade - 6.5)
    noise = rng.normal(0, float(p["noise_sd"]), len(row))
    latent = mean_level + float(p["level_sd"]) * z + noise
    latent += _cumulated_school_effect(world)[pid, enr.year_idx[row]]
    # A worse school year shows on its April test in every subject (``engagement``).
    dip = engagement_dip(world.config.seed, n_p, len(world.years))
    latent -= float(p["engagement_effect"]) * dip[pid, enr.year_idx[row]]
    level = np.clip(np.rint(latent), 1, 12).astype(np.int64)
    logit = float(p["rate_slope"]) * (latent - mean_level) + float(p["rate_offset"])
    logit += rng.normal(0, float(p["rate_noise"]), len(row))
    rate = np.round(100 / (1 + np.exp(-logit)), 1)
    return make_frame(
        "academic_results",
        {
            "address_code": world.pupils.address_code[pid],
            "school_year": np.asarray(world.years)[enr.year_idx[row]],
            "subject": subject,
            "level": level,
            "correct_rate": rate,
        },
    )


def _cumulated_school_effect(world: World) -> npt.NDArray[np.float64]:
    """[pid, year_idx]: the sum of the planted growth effects of the schools a pupil was
    enrolled at (last school of each year) up to and including that year."""
    from toda_desktop.demo.surveys import DOMAINS

    enr = world.enrollment
    n_years = len(world.years)
    effects = school_effects(world.config.seed, len(world.schools), n_years, len(DOMAINS))
    per_year = np.zeros((len(world.pupils), n_years))
    per_year[enr.pid, enr.year_idx] = effects.growth[enr.school]  # later rows (transfers) win
    return np.cumsum(per_year, axis=1)
