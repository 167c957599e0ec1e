"""The simulator's score model: a configured operating point holds exactly.

Impostor scores ~ N(0, 1), so the threshold for a false-match rate p is Φ⁻¹(1 − p) and the
FMR achieved by a score s is 1 − Φ(s). Genuine scores ~ N(μ, σ) with
μ = t − σ·Φ⁻¹(FNMR), where t is the threshold of the configured FMR, so that a fraction
FNMR of genuine scores falls below t. Callers never see scores, only match / FMR achieved.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist

_STANDARD = NormalDist()


def check_fmr(max_fmr: float) -> float:
    if not (isinstance(max_fmr, int | float) and 0.0 < max_fmr < 1.0):
        raise ValueError("max_fmr must be a rate between 0 and 1 (exclusive)")
    return float(max_fmr)


def threshold_for(max_fmr: float) -> float:
    """Score an impostor reaches with probability ``max_fmr``."""
    return _STANDARD.inv_cdf(1.0 - check_fmr(max_fmr))


def fmr_at(score: float) -> float:
    """Probability that an impostor scores at least ``score`` (erfc keeps the tail exact)."""
    return 0.5 * math.erfc(score / math.sqrt(2.0))


@dataclass(frozen=True)
class OperatingPoint:
    fmr: float = 1e-4
    fnmr: float = 0.01
    genuine_sigma: float = 1.0

    def __post_init__(self) -> None:
        check_fmr(self.fmr)
        if not 0.0 < self.fnmr < 1.0:
            raise ValueError("fnmr must be between 0 and 1 (exclusive)")
        if not self.genuine_sigma > 0.0:
            raise ValueError("genuine_sigma must be positive")

    @property
    def threshold(self) -> float:
        return threshold_for(self.fmr)

    @property
    def genuine(self) -> NormalDist:
        mu = self.threshold - self.genuine_sigma * _STANDARD.inv_cdf(self.fnmr)
        return NormalDist(mu, self.genuine_sigma)


class ScoreModel:
    def __init__(self, point: OperatingPoint) -> None:
        self.point = point
        self._genuine = point.genuine

    def draw(self, genuine: bool, rng: random.Random) -> float:
        if genuine:
            return rng.gauss(self._genuine.mean, self._genuine.stdev)
        return rng.gauss(0.0, 1.0)

    def expected(self, genuine: bool) -> float:
        """The mean score: scripted presentations use it so their outcome is certain."""
        return self._genuine.mean if genuine else 0.0
