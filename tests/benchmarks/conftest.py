"""Benchmarks run only on demand: ``pytest -m benchmark -s tests/benchmarks``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "benchmarks" in item.nodeid:
            item.add_marker(pytest.mark.benchmark)


def median_seconds(action: Callable[[], object], repeat: int = 7) -> float:
    """Median wall time of ``repeat`` runs (after one warm-up run)."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(title: str, ours: float, baseline: float, baseline_name: str) -> None:
    print(
        f"\n[benchmark] {title}: {ours * 1000:.2f} ms; {baseline_name}: "
        f"{baseline * 1000:.2f} ms; ratio {ours / baseline:.2f}x"
    )
