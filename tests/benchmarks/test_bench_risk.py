"""Truancy-risk model on the full-size demo city (DemoConfig(seed=1): 12 + 6 schools,
2022–2025): the whole candidate grid with temporal validation, the held-out last school year
against the baselines, and scoring one month for the whole city through the store.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_risk.py``.
The numbers are printed (and written to ``var/bench_risk.json`` when that folder exists);
the bar of issue 6 is asserted only where the data can carry it: recall@5 >= 50 %, grid
under 10 minutes, scoring under 2 seconds. Whether the model beats the cumulative-absence
baseline by more than its interval is reported, not asserted: it is a property of the data,
and the *ceiling* line shows it — a model that also knows the generator's hidden state (who is
in an episode, the latent risk) on the same fold.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from analysis.risk import audit_groups, build_frame, candidate_grid, develop, score_month
from analysis.risk.features import FEATURE_SETS
from analysis.risk.metrics import ListRows, recall_precision
from analysis.risk.models import DEFAULT_NEGATIVE_FRACTION, training_rows
from analysis.risk.validation import fold_for
from tests.analysis.risk.helpers import HIDDEN_STATE, city_inputs, with_hidden_state
from tests.conftest import TEST_SCRYPT_N
from tests.risk.conftest import sign_in
from toda_desktop.demo import DemoCity, DemoConfig, generate_city

pytestmark = pytest.mark.benchmark
ROOT = Path(__file__).resolve().parents[2]


def _pct(entry: dict[str, float]) -> str:
    return f"{entry['value'] * 100:.1f}% [{entry['lo'] * 100:.1f}, {entry['hi'] * 100:.1f}]"


@pytest.mark.timeout(1800)  # the grid alone takes minutes (the default is 300 s)
def test_full_grid_and_held_out_year() -> None:
    city = generate_city(DemoConfig(seed=1))
    inputs = city_inputs(city)
    start = time.perf_counter()
    frame = build_frame(inputs)
    features_s = time.perf_counter() - start
    grid = candidate_grid()
    dev = develop(frame, grid=grid, audit=audit_groups(frame, inputs), seed=0)
    ev = dev.evaluation
    print(f"\n[benchmark] features for {len(frame):,} pupil-months: {features_s:.1f} s")
    print(f"[benchmark] grid: {len(grid)} candidates x {len(dev.selection_years)} folds "
          f"({dev.selection_years}) in {dev.grid.seconds:.0f} s; develop total {dev.seconds:.0f} s")
    print(f"[benchmark] selected: {dev.config.label}")
    print(f"[benchmark] held-out {ev['test_year']}: {ev['events']} events, {ev['rows']:,} rows, "
          f"{ev['schools']} schools, {len(ev['months'])} months")
    for name, rep in ev["scorings"].items():
        print(f"[benchmark]   {name:14s} r@3 {_pct(rep['recall@3'])}  r@5 {_pct(rep['recall@5'])}"
              f"  r@10 {_pct(rep['recall@10'])}  p@5 {_pct(rep['precision@5'])}"
              f"  AUC {rep['auc']['value']:.3f} [{rep['auc']['lo']:.3f}, {rep['auc']['hi']:.3f}]"
              f"  PR-AUC {rep['pr_auc']['value']:.3f}  Brier {rep['brier']['value']:.5f}"
              f"  lead {rep['lead_time']['mean']:.2f} mo  stability {rep['stability']:.2f}")
    for key, d in ev["differences"].items():
        print(f"[benchmark]   diff {key}: {d['value'] * 100:+.1f} pt "
              f"[{d['lo'] * 100:+.1f}, {d['hi'] * 100:+.1f}]")
    print(f"[benchmark]   bar: {ev['bar']}")
    for name, rep in ev["horizon3"].items():
        print(f"[benchmark]   3-month {name}: r@5 {_pct(rep['recall@5'])} AUC {rep['auc']:.3f}")
    for attribute, data in ev["fairness"]["model"].items():
        print(f"[benchmark]   fairness {attribute}: recall gap {data['recall_gap']}, "
              f"FPR gap {data['fpr_gap']}, FPR ratio {data['fpr_ratio']}")
    print(f"[benchmark]   regret: {dev.regret}")
    top = dev.grid.summary.sort_values("score", ascending=False).head(5)
    print(top[["label", "recall_pooled", "recall_mean", "recall_worst", "score", "auc"]]
          .to_string())
    ceiling = _hidden_state_ceiling(city, frame, ev["test_year"])
    print(f"[benchmark]   ceiling: a boosted-tree model that also knows the generator's hidden "
          f"state reaches r@5 {ceiling * 100:.1f}% (the strict bar needs > "
          f"{ev['bar']['baseline_hi'] * 100:.1f}%)")
    out = ROOT / "var"
    if out.is_dir():
        (out / "bench_risk.json").write_text(json.dumps(
            {"grid_seconds": dev.grid.seconds, "selected": dev.config.key, "evaluation": ev,
             "regret": dev.regret}, ensure_ascii=False, indent=1), encoding="utf-8")
    assert dev.grid.seconds < 600
    assert ev["bar"]["at_least_50"]
    # The analysis-level scoring of one month for the whole city (all years loaded).
    start = time.perf_counter()
    lists = score_month(dev.model, inputs, 2025, 7)
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
        service = RiskService(lead)
        start = time.perf_counter()
        trained = service.train(quick=True)
        print(f"[benchmark] quick train through the store: {time.perf_counter() - start:.0f} s "
              f"({trained.config_label})")
        times = []
        for month in ("2025-10", "2025-11", "2025-12"):
            start = time.perf_counter()
            result = service.score(month)
            times.append(time.perf_counter() - start)
            assert len(result.alerts) == 5 * 18
        print(f"[benchmark] score one month, whole city (read + features + model + reasons + "
              f"store): median {statistics.median(times):.2f} s, runs {times}")
        assert statistics.median(times) < 2.0
    finally:
        lead.sign_out()
