"""Temporal validation: folds by school year, the candidate grid, selection, held-out test.

A fold tests on the lists of one school year (list months April … March) and trains only on
rows whose label window ended before that April (``t + h`` at most the March before), so no
training label looks into the test year. Candidates are compared by their recall@5 per
school per month across all test months of the selection folds: the selection score is the
mean over months minus half their standard deviation (a variance penalty); among the
candidates within :data:`SELECTION_TOLERANCE` of the best score (differences that small are
noise) the one with the best worst month wins, then the ranking AUC. Months with fewer than
:data:`MIN_MONTH_EVENTS` new long absences city-wide are too noisy to judge a month by; they
count only in the pooled figures.

The last school year with observed labels is held out: it is used once, to evaluate the
selected candidate against the baselines (:mod:`analysis.risk.evaluation`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import CancelFn, NotEnoughData, ProgressFn, Steps
from analysis.risk.metrics import ListRows, per_month, ranking_metrics, recall_precision
from analysis.risk.models import (
    DEFAULT_NEGATIVE_FRACTION,
    REASON_AWARE,
    ModelConfig,
    TrainingSample,
    fit_sample,
    limited_threads,
    matrix,
    training_sample,
)

MIN_MONTH_EVENTS = 5
VARIANCE_PENALTY = 0.5
SELECTION_K = 5
SELECTION_TOLERANCE = 0.005  # recall@5 points (0.5 %) within which scores count as equal


def first_year_of(frame: pd.DataFrame) -> int:
    row = frame.iloc[0]
    return int(row["school_year"]) - int(row["t"]) // 12


def year_start(frame: pd.DataFrame, school_year: int) -> int:
    """Month index of April of ``school_year``."""
    return (school_year - first_year_of(frame)) * 12


@dataclass(frozen=True)
class Fold:
    test_year: int
    train: npt.NDArray[np.bool_]
    test: npt.NDArray[np.bool_]


def fold_for(frame: pd.DataFrame, test_year: int, horizon: int = 1) -> Fold:
    """Train on labels known by the March before ``test_year``; test on its list months."""
    t = frame["t"].to_numpy(dtype=np.int64)
    start = year_start(frame, test_year)
    obs = frame[f"obs{horizon}"].to_numpy(dtype=bool)
    train = obs & (t + horizon <= start - 1)
    test = obs & (t + 1 >= start) & (t + 1 <= start + 11)
    return Fold(test_year, train, test)


def labelled_years(frame: pd.DataFrame, horizon: int = 1) -> list[int]:
    """School years whose list months have observed labels (at least one event)."""
    obs = frame[f"obs{horizon}"].to_numpy(dtype=bool)
    y = frame[f"y{horizon}"].to_numpy(dtype=bool)
    list_year = first_year_of(frame) + (frame["t"].to_numpy(dtype=np.int64) + 1) // 12
    years = sorted(set(list_year[obs & y].tolist()))
    return [int(v) for v in years]


def split_years(frame: pd.DataFrame, horizon: int = 1) -> tuple[list[int], int]:
    """(selection test years, held-out year): every labelled year after the first except
    the last is a selection fold; the last is held out."""
    years = labelled_years(frame, horizon)
    first = first_year_of(frame)
    usable = [y for y in years if y > first]
    if len(usable) < 1:
        raise NotEnoughData("評価には2年度以上のデータが必要です。")
    if len(usable) == 1:
        return usable, usable[0]
    return usable[:-1], usable[-1]


@dataclass
class GridResult:
    """One row per candidate and test month (``months``) and a summary per candidate."""

    configs: list[ModelConfig]
    months: pd.DataFrame  # key, fold, month, events, captured, recall
    folds: pd.DataFrame  # key, fold, recall, auc, pr_auc, fit_seconds
    seconds: float = 0.0
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    def config(self, key: str) -> ModelConfig:
        for c in self.configs:
            if c.key == key:
                return c
        raise KeyError(key)


def summarize(months: pd.DataFrame, folds: pd.DataFrame,
              configs: Sequence[ModelConfig]) -> pd.DataFrame:
    """Per candidate: pooled recall, monthly mean / sd / worst, selection score, mean AUC."""
    rows = []
    for c in configs:
        m = months[months["key"] == c.key]
        judged = m[m["events"] >= MIN_MONTH_EVENTS]
        r = judged["recall"].to_numpy(dtype=np.float64)
        pooled = m["captured"].sum() / m["events"].sum() if m["events"].sum() else np.nan
        mean = float(np.mean(r)) if len(r) else float("nan")
        sd = float(np.std(r, ddof=1)) if len(r) > 1 else 0.0
        f = folds[folds["key"] == c.key]
        rows.append({
            "key": c.key,
            "family": c.family,
            "feature_set": c.feature_set,
            "label": c.label,
            "recall_pooled": float(pooled),
            "recall_mean": mean,
            "recall_sd": sd,
            "recall_worst": float(np.min(r)) if len(r) else float("nan"),
            "score": mean - VARIANCE_PENALTY * sd,
            "auc": float(f["auc"].mean()),
            "fit_seconds": float(f["fit_seconds"].sum()),
        })
    return pd.DataFrame(rows)


def select(summary: pd.DataFrame, *, include_baselines: bool = False) -> str:
    """The key of the best candidate: selection score (mean − ½ sd), then — among those within
    :data:`SELECTION_TOLERANCE` of the best — the worst month, then AUC.

    Baselines are not selected unless asked (they are what the model is judged against);
    the grid order breaks remaining ties (simpler families come first).
    """
    s = summary if include_baselines else summary[summary["family"] != "baseline"]
    if s.empty:
        raise ValueError("no candidates to select from")
    best = s["score"].max()
    if pd.notna(best):  # NaN when no month had enough events to judge (tiny cities)
        s = s[s["score"] >= best - SELECTION_TOLERANCE]
    s = s.assign(_order=np.arange(len(s)))
    s = s.sort_values(["recall_worst", "score", "auc", "_order"],
                      ascending=[False, False, False, True], kind="stable")
    return str(s.iloc[0]["key"])


def choose(summary: pd.DataFrame) -> dict[str, Any]:
    """The selection including the baselines: the best model (:func:`select`) is used only
    when its selection score is at least that of the best reason-aware simple ranking;
    otherwise the product uses the simple ranking (and the model card says so).

    Returns ``selected`` (the key used), ``model`` and ``simple`` (the best of each kind),
    their scores and ``simple_chosen``. Without a judged month (tiny data) the pooled recall
    is compared instead."""
    model = select(summary)
    aware = summary[(summary["family"] == "baseline")
                    & summary["feature_set"].isin(list(REASON_AWARE))]
    if aware.empty:
        return {"selected": model, "model": model, "simple": None, "simple_chosen": False}
    simple = select(aware, include_baselines=True)
    scores = summary.set_index("key")
    column = "score"
    m, b = float(scores.at[model, column]), float(scores.at[simple, column])  # type: ignore[arg-type]
    if not (np.isfinite(m) and np.isfinite(b)):
        column = "recall_pooled"
        m, b = float(scores.at[model, column]), float(scores.at[simple, column])  # type: ignore[arg-type]
    simple_chosen = bool(np.isfinite(b) and not (m >= b))
    return {"selected": simple if simple_chosen else model, "model": model, "simple": simple,
            "compared_on": column, "model_score": m, "simple_score": b,
            "simple_chosen": simple_chosen}


def regret(grid: GridResult) -> dict[str, Any] | None:
    """Audition check: the candidate chosen on each fold, judged on the next fold."""
    years = sorted(set(grid.folds["fold"].tolist()))
    out = []
    for a, b in itertools.pairwise(years):
        ma = grid.months[grid.months["fold"] == a]
        fa = grid.folds[grid.folds["fold"] == a]
        chosen = select(summarize(ma, fa, grid.configs))
        fb = grid.folds[(grid.folds["fold"] == b) & (grid.folds["family"] != "baseline")]
        best = float(fb["recall"].max())
        got = float(fb[fb["key"] == chosen]["recall"].iloc[0])
        out.append({"chosen_on": a, "judged_on": b, "chosen": chosen, "recall": got,
                    "best_recall": best, "regret": best - got})
    return {"steps": out} if out else None


def run_grid(
    frame: pd.DataFrame,
    configs: Sequence[ModelConfig],
    test_years: Sequence[int],
    *,
    seed: int = 0,
    negative_fraction: float = DEFAULT_NEGATIVE_FRACTION,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> GridResult:
    """Fit and test every candidate on every fold (temporal validation).

    All candidates of a fold fit on the same sample of training rows (common random numbers:
    differences between candidates are not sampling noise), and the feature matrices of one
    feature set at a time are kept (candidates are taken grouped by feature set)."""
    steps = Steps(progress, cancel)
    started = time.perf_counter()
    month_rows: list[dict[str, Any]] = []
    fold_rows: list[dict[str, Any]] = []
    total = max(1, len(configs) * len(test_years))
    done = 0
    order = sorted(range(len(configs)), key=lambda i: (configs[i].horizon,
                                                       configs[i].features))
    with limited_threads():
        for year in test_years:
            folds: dict[int, tuple[Fold, TrainingSample, ListRows, Any]] = {}
            cached: tuple[tuple[tuple[str, ...], int], Any, Any] | None = None
            for i in order:
                c = configs[i]
                steps.report(done / total)
                if c.horizon not in folds:
                    fold = fold_for(frame, year, c.horizon)
                    sample = training_sample(frame, c.horizon, allowed=fold.train,
                                             negative_fraction=negative_fraction,
                                             seed=seed * 7919 + year * 31 + c.horizon)
                    test_rows = np.flatnonzero(fold.test)
                    lists = ListRows.build(frame.iloc[test_rows], c.horizon)
                    folds[c.horizon] = (fold, sample, lists, test_rows)
                fold, sample, lists, test_rows = folds[c.horizon]
                key = (c.features, c.horizon)
                if cached is None or cached[0] != key:
                    cached = None  # free the previous set's matrices first
                    cached = (key, matrix(frame, c.features, sample.rows),
                              matrix(frame, c.features, test_rows))
                _, x_train, x_test = cached
                model = fit_sample(c, x_train, sample, seed=seed)
                p = model.predict_matrix(x_test)
                scored = lists.scored(p)
                pm = per_month(scored, SELECTION_K)
                for month, events, captured, recall in zip(
                    pm["month"].tolist(), pm["events"].to_numpy(dtype=np.float64).tolist(),
                    pm["captured"].to_numpy(dtype=np.float64).tolist(),
                    pm["recall"].to_numpy(dtype=np.float64).tolist(), strict=True,
                ):
                    month_rows.append({"key": c.key, "family": c.family, "fold": year,
                                       "month": month, "events": events,
                                       "captured": captured, "recall": recall})
                rec, _ = recall_precision(scored, SELECTION_K)
                rm = ranking_metrics(scored.y, scored.score)
                fold_rows.append({"key": c.key, "family": c.family, "fold": year,
                                  "recall": rec, "auc": rm["auc"], "pr_auc": rm["pr_auc"],
                                  "fit_seconds": model.fit_seconds})
                done += 1
    steps.report(1.0)
    months = pd.DataFrame(month_rows)
    folds_frame = pd.DataFrame(fold_rows)
    result = GridResult(list(configs), months, folds_frame, time.perf_counter() - started)
    result.summary = summarize(months, folds_frame, configs)
    return result
