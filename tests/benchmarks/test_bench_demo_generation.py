"""Full-size demo city generation, beside a plain numpy draw of as many attendance rows.

The baseline draws the attendance table's numbers with numpy alone (no model, no frames);
the ratio says what the city model, the other 14 kinds and the typed frames cost on top.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.benchmarks.conftest import report
from toda_desktop.demo import DemoCity, DemoConfig, checks, generate_city

pytestmark = pytest.mark.benchmark


def _plain_attendance(rows: int) -> float:
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    days = rng.integers(0, 23, rows)
    absent = rng.binomial(days, 0.03)
    sick = rng.binomial(absent, 0.6)
    late = rng.poisson(0.1, rows)
    early = rng.poisson(0.05, rows)
    np.stack([days, absent, sick, absent - sick, late, early])
    return time.perf_counter() - start


def test_generate_full_size_city() -> None:
    start = time.perf_counter()
    city: DemoCity = generate_city(DemoConfig(seed=1))
    ours = time.perf_counter() - start
    baseline = _plain_attendance(len(city.frames["attendance_monthly"]))
    report("generate full-size demo city", ours, baseline, "numpy attendance draw")
    for name, frame in city.frames.items():
        print(f"[benchmark]   {name:20s} {len(frame):>9,d} rows")
    print(f"[benchmark]   long-absence share {checks.long_absence_share(city)}")
    print(f"[benchmark]   new per school-month {checks.new_long_absences_per_school_month(city)}")
    assert len(city.frames["survey_responses"]) < 2_500_000
    assert ours < 60
