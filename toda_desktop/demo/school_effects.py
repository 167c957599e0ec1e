"""What a school adds, planted so that the school karte (issue 15) has something to find.

- ``growth``: the school's effect on growth in 県学調 level (levels per year; pupils tested in
  April carry the effect of the school they are enrolled at that year, cumulated over the
  years). Centred on zero, so the city's mean growth stays as calibrated.
- ``climate``: the school's shift of the survey attitude per domain (latent units; about 0.2
  moves the share of positive answers by 7 points), its learning part tied to the growth
  effect so that survey–growth correlations at school level have a signal.
- ``drift``: a shift per school, school year and round (a school improves or slips between
  June and December/January), so round and year comparisons show differences.
- ``staff_trend``: the change of a school's staff per school year (学校基礎情報 changes over
  the years with it, besides the rates and counts that follow the cohorts). Pupils are left
  as they were: a trend in who receives 就学援助 would redraw the whole city's risks.

Drawn from a stream of their own: the other parts of the city draw exactly what they drew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toda_desktop.demo import params
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import FloatArray

MAX_ROUNDS = 3


@dataclass(frozen=True)
class SchoolEffects:
    growth: FloatArray  # [school]
    climate: FloatArray  # [school, domain] (domains as in demo.surveys.DOMAINS)
    drift: FloatArray  # [school, year_idx, round - 1]
    staff_trend: FloatArray  # [school], staff per school year


def _centred(x: FloatArray) -> FloatArray:
    return x - x.mean(axis=0) if len(x) > 1 else np.zeros_like(x)


def school_effects(seed: int, n_schools: int, n_years: int, n_domains: int) -> SchoolEffects:
    p = params.calibration()["school_effects"]

    def rng(part: str) -> np.random.Generator:  # one stream per part: sizes never interact
        return stream(seed, f"school_effects.{part}")

    growth = _centred(rng("growth").normal(0, float(p["growth_sd"]), n_schools))
    climate_rng = rng("climate")
    climate = climate_rng.normal(0, float(p["climate_sd"]), n_schools)[:, None] + (
        climate_rng.normal(0, float(p["climate_domain_sd"]), (n_schools, n_domains)))
    climate[:, 0] += float(p["learning_growth_link"]) * growth
    drift = rng("drift").normal(0, float(p["drift_sd"]), (n_schools, n_years, MAX_ROUNDS))
    trend = rng("staff").normal(0, float(p["staff_trend_sd"]), n_schools)
    return SchoolEffects(growth=growth, climate=_centred(climate), drift=drift,
                         staff_trend=trend)
