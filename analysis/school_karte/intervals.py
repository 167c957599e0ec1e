"""Intervals and the city's colour rule for one cell of positive answers.

A cell's value is the share of positive answers (in percent) among its pupils; each pupil
counts once (a pupil's several answers in a domain are averaged first), so ``n`` is pupils.
The 95% interval is Wilson's score interval on that share with ``n`` pupils: it stays inside
0–100 and is honest for small groups and shares near 0 or 100. For a domain (a mean of
several answers per pupil) it is conservative, since a pupil's mean varies less than one
answer.

The difference to the city is ``value - city``. The city value rests on the whole city's
pupils (thousands against a school's tens), so its own sampling error is neglected: the
difference's interval is the cell's interval shifted by the city value. "The interval
includes the city value" and "the difference's interval includes 0" are then the same test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Z95 = 1.959963984540054
MIN_PUPILS = 10  # groups with fewer pupils are suppressed (no value, no interval, no n)
RULE_POINTS = 7.0  # the city's rule: 7 points above or below the city value

# above: at least +7 points and the interval excludes the city value (green)
# below: at most -7 points and the interval excludes the city value (red)
# uncertain: the interval includes the city value (grey, 「差は不確か」)
# within: the interval excludes the city value but the difference is under 7 points
# suppressed: under 10 pupils; none: no city value to compare with
Tone = Literal["above", "below", "uncertain", "within", "suppressed", "none"]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def wilson(share: float, n: int, z: float = Z95) -> Interval:
    """Wilson score interval (in percent) for a share in [0, 1] of ``n`` pupils."""
    if n <= 0:
        raise ValueError("an interval needs at least one pupil")
    p = min(max(share, 0.0), 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if p == 0.0 else max(0.0, centre - half)
    high = 1.0 if p == 1.0 else min(1.0, centre + half)
    return Interval(100.0 * low, 100.0 * high)


def tone(value: float, interval: Interval, city: float | None) -> Tone:
    """The colour of a cell: grey whenever the interval includes the city value, else green
    or red at 7 points or more above or below it."""
    if city is None:
        return "none"
    if interval.contains(city):
        return "uncertain"
    difference = value - city
    if difference >= RULE_POINTS:
        return "above"
    if difference <= -RULE_POINTS:
        return "below"
    return "within"


def fisher_interval(r: float, n: int, z: float = Z95) -> Interval | None:
    """95% interval of a Pearson correlation (Fisher's z); None under 4 observations."""
    if n < 4 or not math.isfinite(r):
        return None
    r = min(max(r, -0.999999), 0.999999)
    centre = math.atanh(r)
    half = z / math.sqrt(n - 3)
    return Interval(math.tanh(centre - half), math.tanh(centre + half))
