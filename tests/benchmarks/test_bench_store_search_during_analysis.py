"""A pupil search while the full 要因分析 runs answers within 2× its idle time (issue 11).

Full demo city (12 + 6 schools, four school years), signed in as the project lead. The same
name searches, through the service as the search page makes them (permission check, store
call, audit entry), are timed idle and then while ``factor_analysis`` runs on another thread.
The analysis reads its year on a reader connection, reduced per pupil in SQL (few Python
objects: the search's threads rarely wait for the interpreter's lock), and computes off the
store's threads on one BLAS thread, so a search waits neither for its reading nor for its
computing; before issue 11 it queued behind the whole read on the single store thread. What
remains is sharing the cores: on a busy two-core machine the ratio moves by a few tenths from
run to run, so compare figures measured in the same run.

Run: ``.venv/bin/python -m pytest -m benchmark -s
tests/benchmarks/test_bench_store_search_during_analysis.py``
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.connection import Connection, transaction
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.search.helpers import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.demo import DemoConfig, generate_city
from toda_desktop.demo.load import load_city
from toda_desktop.search.keys import refresh_search_index
from toda_desktop.store_setup import create_empty_store

GOAL_RATIO = 2.0
QUERIES = 40
MIN_BUSY_SAMPLES = 20
IDLE_ROUNDS = 3


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedIn]:
    path: Path = tmp_path_factory.mktemp("bench-search-analysis") / "city.tdb"
    created = create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=TEST_SCRYPT_N)
    start = time.perf_counter()
    load_city(created.store, generate_city(DemoConfig(seed=1)), LEAD_LOGIN)

    def index(conn: Connection) -> int:
        with transaction(conn):
            return refresh_search_index(conn)

    created.store.db.call(index)
    created.store.close()
    print(f"\n[benchmark] full demo city loaded and indexed in {time.perf_counter() - start:.1f} s")
    session = sign_in(path, LEAD_LOGIN, LEAD_PASSWORD)
    yield session
    session.sign_out()


def _surnames(signed: SignedIn) -> list[str]:
    names = signed.store.db.call(lambda c: [str(r[0]) for r in c.execute(
        "SELECT name FROM ds_students ORDER BY id").fetchall()])
    return [n.split("\u3000")[0] for n in random.Random(11).sample(names, QUERIES)]


def _timed_search(signed: SignedIn, text: str) -> float:
    start = time.perf_counter()
    signed.search.search(text)
    return time.perf_counter() - start


def test_search_during_the_full_factor_analysis(signed: SignedIn) -> None:
    queries = _surnames(signed)
    for text in queries[:5]:  # warm-up
        signed.search.search(text)
    # As the window does: the risk pages are built (and the 要因分析 page shows its kept
    # report) before 分析する is pressed, so scikit-learn and SciPy are imported by then.
    # Left to the analysis thread, their import held the interpreter's lock for ~1.4 s of a
    # 3 s run: a one-time start-up cost, not the analysis this figure is about.
    signed.risk.kept_factor_analysis()
    # Idle is timed before and after the analysis, three rounds each: the machine's own
    # load drifts, and the figure to compare with is the store's idle speed around the run.
    idle = [_timed_search(signed, text) for _ in range(IDLE_ROUNDS) for text in queries]

    done = threading.Event()
    outcome: dict[str, object] = {}

    def computing(_fraction: float) -> None:
        # The first progress report comes after the input tables have been read.
        outcome.setdefault("read_until", time.perf_counter())

    def analyse() -> None:
        start = time.perf_counter()
        try:
            outcome["report"] = signed.risk.factor_analysis(progress=computing)
        except BaseException as exc:  # reported below, on the test's thread
            outcome["error"] = exc
        finally:
            outcome["seconds"] = time.perf_counter() - start
            done.set()

    worker = threading.Thread(target=analyse, name="bench-factor-analysis")
    began = time.perf_counter()
    worker.start()
    busy: list[tuple[float, float]] = []  # (started, seconds)
    try:
        time.sleep(0.2)  # let the analysis start its read
        n = 0
        while not done.is_set():
            started = time.perf_counter()
            seconds = _timed_search(signed, queries[n % len(queries)])
            if not done.is_set():  # only searches that ran wholly during the analysis
                busy.append((started, seconds))
            n += 1
    finally:
        worker.join()
    idle += [_timed_search(signed, text) for _ in range(IDLE_ROUNDS) for text in queries]
    if "error" in outcome:
        raise AssertionError("the factor analysis failed") from outcome["error"]  # type: ignore[arg-type]
    read_until = float(outcome.get("read_until", began))  # type: ignore[arg-type]
    during = [t for _, t in busy]
    print(f"\n[benchmark] full factor analysis: {outcome['seconds']:.1f} s, of which reading"
          f" its inputs {read_until - began:.1f} s")
    print(f"[benchmark] search idle ({len(idle)} calls, before and after): {_figures(idle)}")
    for label, part in (
        ("while it reads", [t for s, t in busy if s < read_until]),
        ("while it computes", [t for s, t in busy if s >= read_until]),
        ("during the analysis", during),
    ):
        if part:
            print(f"[benchmark] search {label} ({len(part)} calls): {_figures(part)}")
    ratio50, ratio95 = _p(during, 0.5) / _p(idle, 0.5), _p(during, 0.95) / _p(idle, 0.95)
    print(f"[benchmark] ratio during/idle: p50 {ratio50:.2f}x, p95 {ratio95:.2f}x"
          f" (goal ≤ {GOAL_RATIO:.0f}x at p95)")
    assert len(during) >= MIN_BUSY_SAMPLES
    assert ratio95 <= GOAL_RATIO


def _figures(times: list[float]) -> str:
    return (f"p50 {_p(times, 0.5) * 1000:.1f} ms, p95 {_p(times, 0.95) * 1000:.1f} ms,"
            f" max {max(times) * 1000:.1f} ms")
