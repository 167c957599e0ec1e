"""Correlations between survey positivity and outcomes (growth, absence), issue 15.

Pupil level: the storage layer returns sums per group (n, Σx, Σy, Σx², Σy², Σxy), so the
correlation of a group — one school, or the city as the sum of all schools — is computed
without pupil rows. School level: one value per school (its positivity against its growth
effect or absence rate). Every coefficient comes with n and a 95% interval (Fisher's z).
These are associations, not effects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.school_karte.intervals import MIN_PUPILS, Interval, fisher_interval


@dataclass(frozen=True)
class Moments:
    n: int
    sx: float
    sy: float
    sxx: float
    syy: float
    sxy: float

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.sx + other.sx, self.sy + other.sy,
                       self.sxx + other.sxx, self.syy + other.syy, self.sxy + other.sxy)


ZERO = Moments(0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Correlation:
    r: float | None  # None: suppressed (under 10) or no variation
    n: int | None
    interval: Interval | None


def from_moments(m: Moments, min_n: int = MIN_PUPILS) -> Correlation:
    if m.n < min_n:
        return Correlation(None, None, None)
    vx = m.sxx - m.sx * m.sx / m.n
    vy = m.syy - m.sy * m.sy / m.n
    if vx <= 1e-12 or vy <= 1e-12:
        return Correlation(None, m.n, None)
    r = (m.sxy - m.sx * m.sy / m.n) / math.sqrt(vx * vy)
    r = max(-1.0, min(1.0, r))
    return Correlation(r, m.n, fisher_interval(r, m.n))


def from_values(x: Sequence[float], y: Sequence[float], min_n: int = 4) -> Correlation:
    """Correlation of paired values (school level: one pair per school); NaNs left out."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    m = Moments(int(ok.sum()), float(a.sum()), float(b.sum()), float(a @ a), float(b @ b),
                float(a @ b))
    return from_moments(m, min_n)
