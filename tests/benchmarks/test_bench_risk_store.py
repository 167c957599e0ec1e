"""Training the full grid through the store, the path users take (``risk train``), on a demo
city of about 20,000 pupils over 2022–2025 (15 + 7 schools, 14,500 a year; the default demo
city has 17,000): reading the inputs from the encrypted store, the features, the grid, the
held-out evaluation and storing the model.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_risk_store.py``.

Each training runs in a fresh process (its peak memory, VmHWM, is the training's alone):
once on a quiet machine and once beside a busy loop that keeps one of the two cores busy.
Asserted, as issue 10 asks: under 10 minutes and under 1 GiB each.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SCRYPT_N
from tests.risk.conftest import sign_in

pytestmark = pytest.mark.benchmark
LIMIT_SECONDS = 600
LIMIT_BYTES = 1024**3


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _train(store: str, queue: Any) -> None:
    """In a fresh process: sign in and train the full grid through the service."""
    from toda_desktop.risk import RiskService

    lead = sign_in(Path(store), "project_lead")
    try:
        start = time.perf_counter()
        result = RiskService(lead.context).train()
        seconds = time.perf_counter() - start
    finally:
        lead.sign_out()
    queue.put({"seconds": seconds, "peak": _peak_rss(), "grid": result.grid_size,
               "grid_s": result.grid_seconds, "config": result.config_label})


def make_store(path: Path) -> int:
    """A store holding a demo city of about 20,000 pupils; returns how many pupils."""
    from toda_desktop.demo import DemoConfig, generate_city
    from toda_desktop.demo.load import load_city
    from toda_desktop.store_setup import (
        DEMO_LOGINS,
        DEMO_PASSWORD,
        FIRST_ROLE,
        _enroll_demo_palms,
        create_empty_store,
    )

    login, name = DEMO_LOGINS[FIRST_ROLE]
    store = create_empty_store(path, "demo", login, DEMO_PASSWORD, name,
                               scrypt_n=TEST_SCRYPT_N).store
    try:
        _enroll_demo_palms(store, 1)
        city = generate_city(DemoConfig(seed=1, n_primary=15, n_junior_high=7))
        load_city(store, city, login)
        return int(store.db.call(
            lambda c: c.execute("SELECT count(*) FROM ds_students").fetchone()[0]))
    finally:
        store.close()


def _run(store: Path) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_train, args=(str(store), queue))
    proc.start()
    result: dict[str, Any] = queue.get(timeout=1800)
    proc.join()
    return result


@pytest.mark.timeout(3600)  # a demo store and two trainings of minutes each
def test_training_through_the_store_stays_under_a_gigabyte(tmp_path: Path) -> None:
    store = tmp_path / "city20k.tdb"
    start = time.perf_counter()
    pupils = make_store(store)
    print(f"\n[benchmark] demo store of {pupils:,} pupils: {time.perf_counter() - start:.0f} s")
    assert pupils >= 20_000
    quiet = _run(store)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # one core kept busy
    try:
        contended = _run(store)
    finally:
        busy.kill()
        busy.wait()
    for name, run in (("quiet", quiet), ("one core busy", contended)):
        print(f"[benchmark] risk train through the store ({name}): {run['grid']} candidates, "
              f"grid {run['grid_s']:.0f} s, total {run['seconds']:.0f} s, peak memory "
              f"{run['peak'] / 1024**2:.0f} MiB ({run['config']})")
    for run in (quiet, contended):
        assert run["seconds"] < LIMIT_SECONDS
        assert run["peak"] < LIMIT_BYTES
