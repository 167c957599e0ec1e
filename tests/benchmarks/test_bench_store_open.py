"""Opening the store as a whole (``Store.open``: key file, every lane's writer and readers,
migration check, statistics), for an account holding every key and for one holding two.

Wall time and the process's CPU time (all threads) are reported: on a shared machine the CPU
time is the steadier figure. Compare a change with the code before it by running this file on
both (issue 12's school lane: the lead's open gains a second lane).

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_store_open.py``
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from storage.store import Store
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

REPEAT = 41


@pytest.mark.parametrize("role", ["project_lead", "liaison"])
def test_store_open(demo_store_path: Path, role: str) -> None:
    login = DEMO_LOGINS[role][0]
    Store.open(demo_store_path, login, DEMO_PASSWORD).close()  # warm-up
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(REPEAT):
        started, used = time.perf_counter(), time.process_time()
        store = Store.open(demo_store_path, login, DEMO_PASSWORD)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        store.close()
    print(f"\n[benchmark] store open ({role}): wall median"
          f" {statistics.median(wall) * 1000:.1f} ms (min {min(wall) * 1000:.1f});"
          f" CPU median {statistics.median(cpu) * 1000:.1f} ms (min {min(cpu) * 1000:.1f})")
