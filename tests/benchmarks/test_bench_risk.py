"""Truancy-risk model on the full-size demo city (DemoConfig(seed=1): 12 + 6 schools,
about 20,000 pupils over 2022–2025): the whole candidate grid with temporal validation, the
held-out last school year against every simple ranking, and scoring one month for the whole
city through the store.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_risk.py``.

The grid is trained twice in a fresh process each (so that the peak memory measured is the
training's): on a quiet machine, and beside a busy loop that keeps one of the two cores busy
(an office PC's virus scan). Printed for both: training time and peak memory; for the quiet
run: recall@5 of the model and of every simple ranking, and the paired differences (model −
ranking, bootstrap 95 % interval over school-months). Asserted, as issue 10 asks: each run
under 10 minutes and 1 GB; for 不登校 onsets on the held-out year recall@5 >= 60 %, the
difference with every reason-blind ranking above zero over its whole interval, and against
every reason-aware ranking no difference whose whole interval lies below zero (unless the
selection, which includes the baselines, already chose the simple ranking); whether the model
is at least as good by the point estimate is printed (the report's ``bar``). The *ceiling*
line shows what a model that also knows the generator's hidden state reaches on the same
fold: on the demo city the best reason-aware ranking is within about a point of it.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from analysis.risk import build_frame, score_month
from analysis.risk.features import FEATURE_SETS
from analysis.risk.metrics import ListRows, recall_precision
from analysis.risk.models import DEFAULT_NEGATIVE_FRACTION, training_rows
from analysis.risk.validation import fold_for
from kernel.school_calendar import SchoolMonth
from tests.analysis.risk.helpers import HIDDEN_STATE, city_inputs, with_hidden_state
from tests.conftest import TEST_SCRYPT_N
from tests.risk.conftest import sign_in
from toda_desktop.demo import DemoCity, DemoConfig, generate_city

pytestmark = pytest.mark.benchmark
ROOT = Path(__file__).resolve().parents[2]
LIMIT_SECONDS = 600
LIMIT_BYTES = 1024**3


def _pct(entry: dict[str, float]) -> str:
    return f"{entry['value'] * 100:.1f}% [{entry['lo'] * 100:.1f}, {entry['hi'] * 100:.1f}]"


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM: ``ru_maxrss`` would carry the
    parent's peak over the fork of a spawned process)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _train(inputs_path: str, queue: Any) -> None:
    """In a fresh process: the features and the whole grid; report time and peak memory."""
    from analysis.risk import audit_groups, candidate_grid, develop

    with open(inputs_path, "rb") as fh:
        inputs = pickle.load(fh)  # written by this test a moment ago
    start = time.perf_counter()
    frame = build_frame(inputs)
    features_s = time.perf_counter() - start
    audit = audit_groups(frame, inputs)
    del inputs  # as the service does: the grid needs only the frame and the audit groups
    grid = candidate_grid()
    dev = develop(frame, grid=grid, audit=audit, seed=0)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    peak = _peak_rss()
    top = dev.grid.summary.sort_values("score", ascending=False).head(5)
    queue.put({"seconds": seconds, "cpu": cpu, "features_s": features_s, "grid_s": dev.grid.seconds,
               "peak": peak, "rows": len(frame), "grid": len(grid), "config": dev.config.label,
               "choice": dev.choice, "evaluation": dev.evaluation,
               "selection_years": dev.selection_years, "regret": dev.regret,
               "top": top[["label", "recall_mean", "recall_worst", "score", "auc"]]
               .to_string(), "model": dev.model.to_bytes()})


def _run_training(inputs_path: Path) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_train, args=(str(inputs_path), queue))
    proc.start()
    result: dict[str, Any] = queue.get(timeout=1800)
    proc.join()
    return result


def _print_run(name: str, run: dict[str, Any]) -> None:
    print(f"[benchmark] {name}: {run['grid']} candidates, {run['rows']:,} pupil-months; "
          f"features {run['features_s']:.1f} s, grid {run['grid_s']:.0f} s, total "
          f"{run['seconds']:.0f} s (CPU time {run['cpu']:.0f} s: one core's worth, the fits are "
          f"single-threaded); peak memory {run['peak'] / 1024**2:.0f} MiB")


@pytest.mark.timeout(3600)  # two trainings of minutes each (the default is 300 s)
def test_full_grid_quiet_and_beside_a_busy_core(tmp_path: Path) -> None:
    city = generate_city(DemoConfig(seed=1))
    inputs = city_inputs(city)
    inputs_path = tmp_path / "inputs.pickle"
    inputs_path.write_bytes(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
    quiet = _run_training(inputs_path)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # one core kept busy
    try:
        contended = _run_training(inputs_path)
    finally:
        busy.kill()
        busy.wait()
    print()
    _print_run("quiet", quiet)
    _print_run("one core busy", contended)
    ev = quiet["evaluation"]
    print(f"[benchmark] lists use: {quiet['config']}  (choice {quiet['choice']})")
    print(f"[benchmark] held-out {ev['test_year']}: {ev['events']} 不登校 onsets, "
          f"{ev['rows']:,} rows, {ev['schools']} schools, {len(ev['months'])} months")
    for name, rep in ev["scorings"].items():
        print(f"[benchmark]   {name:14s} r@3 {_pct(rep['recall@3'])}  r@5 {_pct(rep['recall@5'])}"
              f"  r@10 {_pct(rep['recall@10'])}  p@5 {_pct(rep['precision@5'])}"
              f"  AUC {rep['auc']['value']:.3f}  lead {rep['lead_time']['mean']:.2f} mo"
              f"  stability {rep['stability']:.2f}")
    bar = ev["bar"]
    for group in ("reason_blind", "reason_aware"):
        for r in bar[group]:
            print(f"[benchmark]   paired r@5 model − {r['key']} ({group}): "
                  f"{r['difference'] * 100:+.1f} pt [{r['lo'] * 100:+.1f}, {r['hi'] * 100:+.1f}]")
    print(f"[benchmark]   bar: r@5 {bar['recall@5'] * 100:.1f}% (>= 60 %: "
          f"{bar['at_least_target']}), beats every reason-blind ranking: "
          f"{bar['beats_reason_blind']}, not worse than any reason-aware ranking: "
          f"{bar['not_worse_than_reason_aware']}")
    for name, rep in ev["horizon3"].items():
        print(f"[benchmark]   3-month {name}: r@5 {_pct(rep['recall@5'])} AUC {rep['auc']:.3f}")
    for attribute, data in ev["fairness"]["model"].items():
        print(f"[benchmark]   fairness {attribute}: recall gap {data['recall_gap']}, "
              f"FPR gap {data['fpr_gap']}")
    print(f"[benchmark]   regret: {quiet['regret']}")
    print(quiet["top"])
    frame = build_frame(inputs)
    ceiling = _hidden_state_ceiling(city, frame, ev["test_year"])
    print(f"[benchmark]   ceiling: a boosted-tree model that also knows the generator's hidden "
          f"state reaches r@5 {ceiling * 100:.1f}%")
    out = ROOT / "var"
    if out.is_dir():
        (out / "bench_risk.json").write_text(json.dumps(
            {name: {k: v for k, v in run.items() if k not in ("model", "top")}
             for name, run in (("quiet", quiet), ("contended", contended))},
            ensure_ascii=False, indent=1), encoding="utf-8")
    for run in (quiet, contended):
        assert run["seconds"] < LIMIT_SECONDS
        assert run["peak"] < LIMIT_BYTES
    assert bar["at_least_target"] and bar["beats_reason_blind"]
    # Against the reason-aware rankings the report says whether the model is at least as good
    # (point estimate); asserted here: not worse beyond the noise (every interval reaches 0)
    # unless the selection already fell back to the simple ranking. On the demo city the best
    # reason-aware ranking sits within a point of the hidden-state ceiling (see above).
    assert quiet["choice"]["simple_chosen"] or all(r["hi"] >= 0 for r in bar["reason_aware"])
    # The analysis-level scoring of one month for the whole city (all years loaded).
    from analysis.risk import FittedModel

    model = FittedModel.from_bytes(quiet["model"])
    start = time.perf_counter()
    lists = score_month(model, inputs, 2025, 7)
    print(f"[benchmark] score_month (analysis, 4 years of inputs): "
          f"{time.perf_counter() - start:.2f} s for {len(lists):,} pupils")


def _hidden_state_ceiling(city: DemoCity, frame: pd.DataFrame, test_year: int) -> float:
    """recall@5 on the held-out year of a model given the features and the hidden state."""
    full = with_hidden_state(city, frame)
    fold = fold_for(full, test_year, 1)
    train, test = full[fold.train], full[fold.test]
    columns = [*FEATURE_SETS["all"], *HIDDEN_STATE]
    obs = train["obs1"].to_numpy(dtype=bool)
    y = train["y1"].to_numpy(dtype=bool)[obs]
    keep, weight = training_rows(y, DEFAULT_NEGATIVE_FRACTION, 0)
    x = np.nan_to_num(train[columns].to_numpy(dtype=np.float64)[obs][keep], nan=-1.0)
    model = HistGradientBoostingClassifier(learning_rate=0.03, max_leaf_nodes=8, max_iter=300,
                                           min_samples_leaf=80, random_state=0)
    model.fit(x, y[keep], sample_weight=weight)
    p = model.predict_proba(np.nan_to_num(test[columns].to_numpy(dtype=np.float64), nan=-1.0))
    return recall_precision(ListRows.build(test, 1).scored(p[:, 1]), 5)[0]


def test_score_a_month_for_the_whole_city_through_the_store(tmp_path: Path) -> None:
    from toda_desktop.risk import RiskService
    from toda_desktop.store_setup import create_demo_store

    path = tmp_path / "full.tdb"
    start = time.perf_counter()
    create_demo_store(path, seed=1, scrypt_n=TEST_SCRYPT_N).store.close()
    print(f"\n[benchmark] full demo store: {time.perf_counter() - start:.0f} s")
    lead = sign_in(path, "project_lead")
    try:
        service = RiskService(lead.context)
        start = time.perf_counter()
        trained = service.train(quick=True)
        print(f"[benchmark] quick train through the store: {time.perf_counter() - start:.0f} s "
              f"({trained.config_label})")
        times = []
        for month in (SchoolMonth(2025, 10), SchoolMonth(2025, 11), SchoolMonth(2025, 12)):
            start = time.perf_counter()
            result = service.score(month)
            times.append(time.perf_counter() - start)
            assert len(result.alerts) == 5 * 18
        print(f"[benchmark] score one month, whole city (read + features + model + reasons + "
              f"store): median {statistics.median(times):.2f} s, runs {times}")
        assert statistics.median(times) < 2.0
    finally:
        lead.sign_out()
