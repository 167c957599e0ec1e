"""Metrics of monthly lists: top-k per school, recall/precision@k, ranking and calibration
figures, lead time, list stability, and cluster-bootstrap confidence intervals.

The operating rule is the city's: each month, each school checks on its k highest-scored
pupils. ``recall@k`` is the share of the pupils with a 不登校 onset that month who
were on their school's list; ``precision@k`` the share of listed pupils who did. Both pool
the school-months of a period (per month: pooled over the schools of that month).

Ties (baselines rank by whole days) are broken by a fixed pseudo-random key of pupil and
month, never by data order. Confidence intervals resample school-month cells (the unit of a
list) with replacement; differences between two scorings use the same resamples (paired).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
KS = (3, 5, 10)


def tiebreak(pupil_id: Any, t: Any) -> FloatArray:
    """A fixed pseudo-random number in [0, 1) per pupil and month."""
    p = np.asarray(pupil_id, dtype=np.uint64)
    m = np.asarray(t, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = p * np.uint64(0x9E3779B97F4A7C15) + m * np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(29)
    return np.asarray((h >> np.uint64(11)).astype(np.float64) / float(2**53), dtype=np.float64)


def ranks_within(groups: Sequence[Any], score: FloatArray, tie: FloatArray) -> npt.NDArray[
    np.int64
]:
    """Rank 1, 2, … of each row within its group by descending score (ties by ``tie``)."""
    codes = pd.factorize(pd.MultiIndex.from_arrays([np.asarray(g) for g in groups])
                         if len(groups) > 1 else np.asarray(groups[0]))[0]
    order = np.lexsort((tie, -np.asarray(score, dtype=np.float64), codes))
    sorted_codes = codes[order]
    start = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    idx = np.arange(len(order))
    first = np.maximum.accumulate(np.where(start, idx, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = idx - first + 1
    return rank


@dataclass(frozen=True)
class ListRows:
    """The rows of a test period that lists are made of (label observed), ready to rank."""

    list_month: npt.NDArray[Any]
    school: npt.NDArray[Any]
    pupil_id: npt.NDArray[np.int64]
    y: BoolArray
    group: npt.NDArray[np.int64]  # code of (list month, school)
    tie: FloatArray
    selected: BoolArray  # rows of the source frame taken

    @staticmethod
    def build(frame: pd.DataFrame, horizon: int = 1) -> ListRows:
        obs = frame[f"obs{horizon}"].to_numpy(dtype=bool)
        lm = frame["list_month"].to_numpy()[obs]
        school = frame["list_school_code"].to_numpy()[obs]
        pupil = frame["pupil_id"].to_numpy(dtype=np.int64)[obs]
        t = frame["t"].to_numpy(dtype=np.int64)[obs]
        group = pd.factorize(pd.MultiIndex.from_arrays([lm, school]))[0].astype(np.int64)
        y = frame[f"y{horizon}"].to_numpy(dtype=bool)[obs]
        return ListRows(lm, school, pupil, y, group, tiebreak(pupil, t), obs)

    def scored(self, score: FloatArray) -> Scored:
        """Rank every row within its school-month by ``score`` (one value per source row)."""
        s = np.asarray(score, dtype=np.float64)[self.selected]
        rank = ranks_within([self.group], s, self.tie)
        return Scored(self.list_month, self.school, self.pupil_id, self.y, s, rank, self.group)


@dataclass(frozen=True)
class Scored:
    """One scoring of a test period: a row per pupil-month at risk (label observed)."""

    list_month: npt.NDArray[Any]
    school: npt.NDArray[Any]
    pupil_id: npt.NDArray[np.int64]
    y: BoolArray
    score: FloatArray
    rank: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64] | None = None

    @staticmethod
    def build(frame: pd.DataFrame, score: FloatArray, horizon: int = 1) -> Scored:
        return ListRows.build(frame, horizon).scored(score)

    def flagged(self, k: int) -> BoolArray:
        return self.rank <= k


@dataclass(frozen=True)
class Cells:
    """Per school-month cell: events, captured and listed at each k (for bootstraps)."""

    month: npt.NDArray[Any]
    school: npt.NDArray[Any]
    events: FloatArray
    captured: dict[int, FloatArray]
    listed: dict[int, FloatArray]


def cells_of(scored: Scored, ks: Sequence[int] = KS) -> Cells:
    frame = pd.DataFrame({"m": scored.list_month, "s": scored.school,
                          "y": scored.y.astype(np.float64)})
    for k in ks:
        flag = scored.flagged(k)
        frame[f"c{k}"] = (flag & scored.y).astype(np.float64)
        frame[f"l{k}"] = flag.astype(np.float64)
    g = frame.groupby(["m", "s"], sort=True).sum()
    months = g.index.get_level_values(0).to_numpy()
    schools = g.index.get_level_values(1).to_numpy()
    return Cells(
        month=months,
        school=schools,
        events=g["y"].to_numpy(dtype=np.float64),
        captured={k: g[f"c{k}"].to_numpy(dtype=np.float64) for k in ks},
        listed={k: g[f"l{k}"].to_numpy(dtype=np.float64) for k in ks},
    )


def _safe_div(a: Any, b: Any) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(b) > 0, np.asarray(a) / np.where(np.asarray(b) > 0, b, 1),
                        np.nan)


def per_month(scored: Scored, k: int = 5) -> pd.DataFrame:
    """Per list month: events, captured at k, listed at k, recall@k, precision@k."""
    codes, months = pd.factorize(scored.list_month, sort=True)
    n = len(months)
    flag = scored.flagged(k)
    events = np.bincount(codes, weights=scored.y.astype(np.float64), minlength=n)
    captured = np.bincount(codes, weights=(flag & scored.y).astype(np.float64), minlength=n)
    listed = np.bincount(codes, weights=flag.astype(np.float64), minlength=n)
    return pd.DataFrame({
        "month": np.asarray(months), "events": events, "captured": captured, "listed": listed,
        "recall": _safe_div(captured, events), "precision": _safe_div(captured, listed),
    })


def recall_precision(scored: Scored, k: int) -> tuple[float, float]:
    flag = scored.flagged(k)
    events = float(scored.y.sum())
    captured = float((flag & scored.y).sum())
    listed = float(flag.sum())
    return (captured / events if events else float("nan"),
            captured / listed if listed else float("nan"))


def ranking_metrics(y: BoolArray, p: FloatArray) -> dict[str, float]:
    if y.all() or not y.any():
        return {"auc": float("nan"), "pr_auc": float("nan"),
                "brier": float(brier_score_loss(y, p)) if len(y) else float("nan")}
    return {
        "auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, np.clip(p, 0, 1))),
    }


def reliability_curve(y: BoolArray, p: FloatArray, bins: int = 10) -> list[dict[str, float]]:
    """Predicted against observed rates in bins of equal count (rare events: quantiles)."""
    if len(y) == 0:
        return []
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, bins):
        if len(part) == 0:
            continue
        out.append({"predicted": float(p[part].mean()), "observed": float(y[part].mean()),
                    "n": float(len(part))})
    return out


def lead_times(scored: Scored, k: int = 5, lookback: int = 6) -> dict[str, float]:
    """Months between the first listing (within ``lookback`` months) and the onset month.

    For each event (pupil, list month E with y): the earliest list month L in E−lookback … E
    in which the pupil was on the top-k list; lead = E − L. Events never listed count as
    missed. Returns the mean and median lead over listed events and the listed share.
    """
    months = sorted(set(scored.list_month.tolist()))
    index = {m: i for i, m in enumerate(months)}
    mi = np.asarray([index[m] for m in scored.list_month], dtype=np.int64)
    flag = scored.flagged(k)
    flagged = pd.DataFrame({"p": scored.pupil_id[flag], "m": mi[flag]})
    by_pupil = flagged.groupby("p")["m"].apply(lambda s: np.sort(s.to_numpy()))
    leads: list[int] = []
    missed = 0
    for p, e in zip(scored.pupil_id[scored.y], mi[scored.y], strict=True):
        fm = by_pupil.get(p)
        if fm is None:
            missed += 1
            continue
        window = fm[(fm <= e) & (fm >= e - lookback)]
        if len(window) == 0:
            missed += 1
        else:
            leads.append(int(e - window[0]))
    n = len(leads) + missed
    return {
        "mean": float(np.mean(leads)) if leads else float("nan"),
        "median": float(np.median(leads)) if leads else float("nan"),
        "listed_share": len(leads) / n if n else float("nan"),
        "events": float(n),
    }


def list_stability(scored: Scored, k: int = 5) -> float:
    """Mean share of a school's list that was also on its list the month before."""
    flag = scored.flagged(k)
    f = pd.DataFrame({"m": scored.list_month[flag], "s": scored.school[flag],
                      "p": scored.pupil_id[flag]})
    months = sorted(set(f["m"]))
    shares = []
    sets = {key: set(g["p"]) for key, g in f.groupby(["m", "s"])}
    for prev, cur in itertools.pairwise(months):
        for (m, s), members in sets.items():
            if m != cur or not members:
                continue
            before = sets.get((prev, s), set())
            shares.append(len(members & before) / len(members))
    return float(np.mean(shares)) if shares else float("nan")


# -- bootstrap ------------------------------------------------------------------------------


def cell_weights(n_cells: int, n_boot: int, seed: int) -> npt.NDArray[np.float64]:
    """(n_boot, n_cells) resampling counts of school-month cells."""
    rng = np.random.default_rng(seed)
    if n_cells == 0:
        return np.zeros((n_boot, 0))
    return rng.multinomial(n_cells, np.full(n_cells, 1.0 / n_cells), size=n_boot).astype(
        np.float64
    )


def interval(values: FloatArray, point: float, level: float = 0.95) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return {"value": point, "lo": float("nan"), "hi": float("nan")}
    lo, hi = np.quantile(finite, [(1 - level) / 2, 1 - (1 - level) / 2])
    return {"value": point, "lo": float(lo), "hi": float(hi)}


def bootstrap_recall(
    cells: Cells, k: int, weights: npt.NDArray[np.float64]
) -> tuple[dict[str, float], dict[str, float], FloatArray, FloatArray]:
    """recall@k and precision@k with intervals, and their bootstrap replicates."""
    events = cells.events.sum()
    captured = cells.captured[k].sum()
    listed = cells.listed[k].sum()
    rec_b = _safe_div(weights @ cells.captured[k], weights @ cells.events)
    prec_b = _safe_div(weights @ cells.captured[k], weights @ cells.listed[k])
    rec = float(captured / events) if events else float("nan")
    prec = float(captured / listed) if listed else float("nan")
    return (interval(np.asarray(rec_b, dtype=np.float64), rec),
            interval(np.asarray(prec_b, dtype=np.float64), prec),
            np.asarray(rec_b, dtype=np.float64), np.asarray(prec_b, dtype=np.float64))


def row_cell_index(scored: Scored, cells: Cells) -> npt.NDArray[np.int64]:
    keys = pd.MultiIndex.from_arrays([cells.month, cells.school])
    rows = pd.MultiIndex.from_arrays([scored.list_month, scored.school])
    return np.asarray(keys.get_indexer(rows), dtype=np.int64)


def bootstrap_ranking(
    scored: Scored, cells: Cells, weights: npt.NDArray[np.float64], n: int
) -> dict[str, FloatArray]:
    """Replicates of AUC, PR-AUC and Brier over the first ``n`` cell resamples.

    Each replicate is the weighted AUC, average precision and Brier score that
    ``roc_auc_score``, ``average_precision_score`` and ``brier_score_loss`` give with the
    resampling counts as sample weights (equal to theirs up to rounding, tested), computed from
    one descending sort shared by every replicate: sklearn's per-call input checks and sorts
    took most of a quick training's evaluation time (about 20 s for the demo city)."""
    idx = row_cell_index(scored, cells)
    out: dict[str, list[float]] = {"auc": [], "pr_auc": [], "brier": []}
    score = np.asarray(scored.score, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")[::-1]
    y = np.asarray(scored.y, dtype=np.float64)[order]
    sorted_score = score[order]
    # The last row of each run of equal scores: the thresholds of the curves.
    last = np.r_[np.flatnonzero(np.diff(sorted_score)), len(sorted_score) - 1]
    sq = ((np.asarray(scored.y, dtype=np.float64) - np.clip(score, 0, 1)) ** 2)[order]
    cell = idx[order]
    for b in range(min(n, len(weights))):
        w = weights[b][cell]
        tps = np.cumsum(w * y)[last]
        fps = np.cumsum(w * (1.0 - y))[last]
        if tps[-1] <= 0 or fps[-1] <= 0:  # one class only in this resample
            continue
        fpr = np.r_[0.0, fps] / fps[-1]
        tpr = np.r_[0.0, tps] / tps[-1]
        out["auc"].append(float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2))
        gained = np.diff(tpr)
        listed = tps + fps
        precision = np.divide(tps, listed, out=np.zeros_like(tps), where=listed > 0)
        out["pr_auc"].append(float(np.sum(gained * precision)))
        out["brier"].append(float(np.dot(w, sq) / np.sum(w)))
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
