"""The honest test: the selected candidate against the baselines on a held-out school year.

Every scoring (the model and each baseline) is fitted on the rows whose labels were known
by the March before the held-out year and tested on that year's monthly lists. Reported per
scoring: recall@k and precision@k for k = 3, 5, 10 (per school per month, pooled) with
cluster-bootstrap intervals over school-months, ROC-AUC, PR-AUC and Brier with intervals,
the per-month table, a reliability curve, lead time and list stability; then the paired
differences model − baseline, the bar, the fairness audit and the three-month horizon.

The bar: recall@5 ≥ 60 %; the paired difference with every reason-blind ranking (every
absence counts) has its 95 % interval above zero; and the model is at least as good as every
reason-aware ranking (absence other than 病気欠席 and 出席停止・忌引) — a model that is not
is not worth its complexity, and the selection uses the simple ranking instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.common import CancelFn, NotEnoughData, ProgressFn, Steps
from analysis.risk.bands import BANDS, bands
from analysis.risk.fairness import group_rates
from analysis.risk.metrics import (
    KS,
    ListRows,
    Scored,
    bootstrap_ranking,
    bootstrap_recall,
    cell_weights,
    cells_of,
    interval,
    lead_times,
    list_stability,
    per_month,
    ranking_metrics,
    reliability_curve,
)
from analysis.risk.models import (
    BASELINES,
    DEFAULT_NEGATIVE_FRACTION,
    REASON_AWARE,
    REASON_BLIND,
    ModelConfig,
    baseline_configs,
    fit_model,
    limited_threads,
)
from analysis.risk.validation import fold_for

BAR_RECALL = 0.6
CUM_BASELINE = "cum_abs"
CUM_AWARE = "cum_ns"


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def json_ready(report: dict[str, Any]) -> dict[str, Any]:
    """NaN → None and numpy scalars → Python, for JSON."""
    out = _nan_to_none(report)
    assert isinstance(out, dict)
    return out


def _scoring_report(
    scored: Scored, weights: np.ndarray, n_boot_ranking: int, *, full: bool
) -> tuple[dict[str, Any], dict[int, np.ndarray]]:
    cells = cells_of(scored)
    rep: dict[str, Any] = {}
    replicates: dict[int, np.ndarray] = {}
    for k in KS:
        rec, prec, rec_b, _ = bootstrap_recall(cells, k, weights)
        rep[f"recall@{k}"] = rec
        rep[f"precision@{k}"] = prec
        replicates[k] = rec_b
    point = ranking_metrics(scored.y, scored.score)
    boot = bootstrap_ranking(scored, cells, weights, n_boot_ranking)
    for name in ("auc", "pr_auc", "brier"):
        rep[name] = interval(boot[name], point[name])
    pm = per_month(scored, 5)
    rep["per_month"] = [
        {"month": str(m), "events": int(e), "captured": int(c), "recall": float(r),
         "precision": float(p)}
        for m, e, c, r, p in zip(
            pm["month"].tolist(), pm["events"].to_numpy(dtype=np.float64).tolist(),
            pm["captured"].to_numpy(dtype=np.float64).tolist(),
            pm["recall"].to_numpy(dtype=np.float64).tolist(),
            pm["precision"].to_numpy(dtype=np.float64).tolist(), strict=True)
    ]
    judged = pm[pm["events"] >= 5]["recall"].to_numpy(dtype=np.float64)
    rep["recall@5_month_mean"] = float(np.mean(judged)) if len(judged) else float("nan")
    rep["recall@5_month_worst"] = float(np.min(judged)) if len(judged) else float("nan")
    rep["lead_time"] = lead_times(scored, 5)
    rep["stability"] = list_stability(scored, 5)
    if full:
        rep["reliability"] = reliability_curve(scored.y, scored.score)
        b = bands(scored.score)
        rep["bands"] = [
            {"band": name, "n": int((b == name).sum()), "events": int(scored.y[b == name].sum()),
             "observed": float(scored.y[b == name].mean()) if (b == name).any() else float("nan")}
            for name in BANDS
        ]
    return rep, replicates


def _bar(scorings: dict[str, Any], differences: dict[str, Any]) -> dict[str, Any]:
    model5 = scorings["model"]["recall@5"]

    def rows(names: dict[str, str]) -> list[dict[str, Any]]:
        out = []
        for key, label in names.items():
            if key not in scorings:
                continue
            d = differences[f"recall@5:{key}"]
            out.append({"key": key, "label": label,
                        "recall@5": scorings[key]["recall@5"]["value"],
                        "difference": d["value"], "lo": d["lo"], "hi": d["hi"]})
        return out

    blind, aware = rows(REASON_BLIND), rows(REASON_AWARE)
    bar: dict[str, Any] = {
        "recall@5": model5["value"],
        "recall@5_lo": model5["lo"],
        "recall@5_hi": model5["hi"],
        "target": BAR_RECALL,
        "at_least_target": bool(model5["value"] >= BAR_RECALL),
        "reason_blind": blind,
        "reason_aware": aware,
        "beats_reason_blind": bool(blind) and all(
            r["lo"] is not None and np.isfinite(r["lo"]) and r["lo"] > 0 for r in blind),
        "not_worse_than_reason_aware": all(r["difference"] >= 0 for r in aware),
    }
    bar["met"] = bool(bar["at_least_target"] and bar["beats_reason_blind"]
                      and bar["not_worse_than_reason_aware"])
    return bar


def evaluate_holdout(
    frame: pd.DataFrame,
    config: ModelConfig,
    test_year: int,
    *,
    audit: pd.DataFrame | None = None,
    seed: int = 0,
    negative_fraction: float = DEFAULT_NEGATIVE_FRACTION,
    n_boot: int = 1000,
    n_boot_ranking: int = 100,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> dict[str, Any]:
    """The evaluation report (plain dict, JSON-ready after :func:`json_ready`)."""
    with limited_threads():
        return _evaluate(frame, config, test_year, audit=audit, seed=seed,
                         negative_fraction=negative_fraction, n_boot=n_boot,
                         n_boot_ranking=n_boot_ranking, steps=Steps(progress, cancel))


def _evaluate(
    frame: pd.DataFrame,
    config: ModelConfig,
    test_year: int,
    *,
    audit: pd.DataFrame | None,
    seed: int,
    negative_fraction: float,
    n_boot: int,
    n_boot_ranking: int,
    steps: Steps,
) -> dict[str, Any]:
    steps.report(0.0)
    fold = fold_for(frame, test_year, 1)
    if not fold.test.any() or not fold.train.any():
        raise NotEnoughData(f"{test_year}年度を評価するデータが足りません。")
    test_rows = np.flatnonzero(fold.test)
    test = frame.iloc[test_rows]
    rows = ListRows.build(test, 1)
    n_cells = len(cells_of(rows.scored(np.zeros(len(test)))).events)
    weights = cell_weights(n_cells, n_boot, seed)
    entries = [("model", config), *((b.feature_set, b) for b in baseline_configs(1))]
    scorings: dict[str, Any] = {}
    replicates: dict[str, dict[int, np.ndarray]] = {}
    flagged: dict[str, np.ndarray] = {}
    for i, (name, c) in enumerate(entries):
        model = fit_model(c, frame, seed=seed, negative_fraction=negative_fraction,
                          allowed=fold.train)
        scored = rows.scored(model.predict(test))
        rep, reps = _scoring_report(scored, weights, n_boot_ranking, full=name == "model")
        rep["label"] = c.label
        rep["key"] = c.key
        rep["reason_aware"] = name in REASON_AWARE
        scorings[name] = rep
        replicates[name] = reps
        flagged[name] = scored.flagged(5)
        steps.report(0.1 + 0.6 * (i + 1) / len(entries))

    differences: dict[str, Any] = {}
    for name, _ in entries[1:]:
        for k in KS:
            d = replicates["model"][k] - replicates[name][k]
            point = (scorings["model"][f"recall@{k}"]["value"]
                     - scorings[name][f"recall@{k}"]["value"])
            differences[f"recall@{k}:{name}"] = interval(d, float(point))
    bar = _bar(scorings, differences)

    fairness: dict[str, Any] = {}
    if audit is not None:
        groups = audit.iloc[test_rows].iloc[np.flatnonzero(rows.selected)]
        fairness = {
            "model": group_rates(rows.y, flagged["model"], groups),
            CUM_BASELINE: group_rates(rows.y, flagged[CUM_BASELINE], groups),
        }
    steps.report(0.75)

    horizon3: dict[str, Any] = {}
    if "obs3" in frame.columns:
        f3 = fold_for(frame, test_year, 3)
        if f3.test.any() and frame["y3"].to_numpy(dtype=bool)[f3.train].any():
            test3 = frame.iloc[np.flatnonzero(f3.test)]
            rows3 = ListRows.build(test3, 3)
            w3 = cell_weights(len(cells_of(rows3.scored(np.zeros(len(test3)))).events),
                              n_boot, seed)
            by_key = {b.feature_set: b for b in baseline_configs(3)}
            for name, c in (("model", config.with_horizon(3)),
                            (CUM_BASELINE, by_key[CUM_BASELINE]),
                            (CUM_AWARE, by_key[CUM_AWARE])):
                m3 = fit_model(c, frame, seed=seed, negative_fraction=negative_fraction,
                               allowed=f3.train)
                s3 = rows3.scored(m3.predict(test3))
                rec, prec, _, _ = bootstrap_recall(cells_of(s3), 5, w3)
                horizon3[name] = {"label": c.label, "recall@5": rec, "precision@5": prec,
                                  **ranking_metrics(s3.y, s3.score)}
    steps.report(1.0)
    months = sorted({m["month"] for m in scorings["model"]["per_month"]})
    return {
        "test_year": test_year,
        "months": months,
        "rows": len(rows.y),
        "events": int(rows.y.sum()),
        "train_rows": int(fold.train.sum()),
        "train_events": int(frame["y1"].to_numpy(dtype=bool)[fold.train].sum()),
        "schools": len(set(rows.school.tolist())),
        "n_boot": n_boot,
        "n_boot_ranking": n_boot_ranking,
        "config": config.to_json(),
        "baselines": dict(BASELINES),
        "scorings": scorings,
        "differences": differences,
        "bar": bar,
        "fairness": fairness,
        "horizon3": horizon3,
    }
