"""The automatic mode holds its operating point: empirical FMR/FNMR within exact bounds.

At a relaxed target (FMR 1 %, FNMR 5 %) a few thousand trials give tight Clopper–Pearson
intervals in well under a second; the model is the same at 1/10,000.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from devices import FakeClock, OperatingPoint, Simulator, SimulatorConfig, Template
from devices.scoring import fmr_at, threshold_for

CONFIDENCE = 0.999


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Bin(n, p), summed in log space so large n stays exact enough."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_term = (
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * log_p + (n - i) * log_q
        )
        total += math.exp(log_term)
    return min(total, 1.0)


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion, by bisection on the CDF."""
    alpha = 1.0 - confidence

    def solve(target: float, cdf_at_k: int) -> float:
        lo, hi = 0.0, 1.0  # the CDF falls as p rises
        for _ in range(60):
            mid = (lo + hi) / 2
            if _binomial_cdf(cdf_at_k, n, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lower = 0.0 if k == 0 else solve(1 - alpha / 2, k - 1)
    upper = 1.0 if k == n else solve(alpha / 2, k)
    return lower, upper


def test_clopper_pearson_matches_known_values() -> None:
    # k = 0: the upper bound has the closed form 1 - (alpha/2)^(1/n).
    assert clopper_pearson(0, 10, 0.95)[1] == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-6)
    lower, upper = clopper_pearson(5, 10, 0.95)
    assert (lower, upper) == pytest.approx((0.187086, 0.812914), abs=1e-5)


def test_operating_point_formula_is_exact() -> None:
    point = OperatingPoint(fmr=1e-4, fnmr=0.01, genuine_sigma=1.5)
    assert point.threshold == pytest.approx(NormalDist().inv_cdf(1 - 1e-4))
    assert point.genuine.cdf(point.threshold) == pytest.approx(0.01)
    assert fmr_at(point.threshold) == pytest.approx(1e-4)
    assert fmr_at(20.0) > 0.0  # the tail does not collapse to zero (1 - cdf would)


def _rates(point: OperatingPoint, max_fmr: float, trials: int) -> tuple[int, int]:
    sim = Simulator(SimulatorConfig(seed=2024, operating_point=point), clock=FakeClock())
    sim.open()
    references: list[Template] = []
    for subject in range(10):
        sim.default_subject = f"s{subject}"
        references.append(sim.enroll())
    false_matches = false_non_matches = 0
    for trial in range(trials):
        reference = references[trial % 10]
        sim.default_subject = f"s{(trial % 10 + 1 + trial % 9) % 10}"  # someone else
        impostor = sim.verify(reference, max_fmr)
        assert impostor.matched == (impostor.fmr_achieved <= max_fmr)
        false_matches += impostor.matched
        sim.default_subject = f"s{trial % 10}"
        genuine = sim.verify(reference, max_fmr)
        false_non_matches += not genuine.matched
    return false_matches, false_non_matches


def test_empirical_fmr_and_fnmr_hold_the_operating_point() -> None:
    trials = 4000  # > 3/p for p = 1 %
    point = OperatingPoint(fmr=0.01, fnmr=0.05)
    false_matches, false_non_matches = _rates(point, point.fmr, trials)
    fmr_low, fmr_high = clopper_pearson(false_matches, trials)
    fnmr_low, fnmr_high = clopper_pearson(false_non_matches, trials)
    assert fmr_low <= 0.01 <= fmr_high, (false_matches, trials)
    assert fnmr_low <= 0.05 <= fnmr_high, (false_non_matches, trials)


def test_a_requested_max_fmr_moves_the_threshold() -> None:
    trials = 2000
    false_matches, _ = _rates(OperatingPoint(fmr=0.01, fnmr=0.05), 0.05, trials)
    low, high = clopper_pearson(false_matches, trials)
    assert low <= 0.05 <= high
    assert threshold_for(0.05) < threshold_for(0.01)
