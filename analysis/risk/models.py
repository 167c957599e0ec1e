"""Candidate models: one-feature baselines, regularized logistic regression, boosted trees,
random forests — each over the nested feature sets — and fitting one of them.

A candidate is a :class:`ModelConfig` (family, feature set, hyperparameters, horizon). Fitting
uses every positive row and a seeded sample of the negatives (they outnumber the positives
~400 to 1), weighting the kept negatives by the inverse of the sampling fraction so that the
predicted probabilities stay on the scale of the population. Everything is deterministic for a
seed.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from analysis.common import NotEnoughData
from analysis.risk.features import FEATURE_BY_KEY, FEATURE_SET_LABELS, FEATURE_SETS, PROTECTED

FAMILY_LABELS = {
    "baseline": "基準（単一指標の順位）",
    "logreg_l2": "ロジスティック回帰（L2正則化）",
    "logreg_l1": "ロジスティック回帰（L1正則化）",
    "hgb": "勾配ブースティング木",
    "rf": "ランダムフォレスト",
}
# The simple rankings a skeptic would try, reported beside the model and in the selection.
# Reason-blind: every absence counts (a chronically ill pupil ranks like one who stops coming).
REASON_BLIND = {
    "cum_abs": "今年度の累積欠席日数の順",
    "abs_rate_last": "先月の欠席率の順",
    "proj_next": "先月のペースで見込んだ翌月末の累積欠席の順",
}
# Reason-aware: the same rankings counting only absence other than 病気欠席 and 出席停止・忌引.
REASON_AWARE = {
    "cum_ns": "今年度の病気・出席停止以外の累積欠席日数の順",
    "ns_rate_last": "先月の病気・出席停止以外の欠席率の順",
    "proj_ns_next": "先月のペースで見込んだ翌月末の病気・出席停止以外の累積欠席の順",
}
BASELINES = {**REASON_BLIND, **REASON_AWARE}
DEFAULT_NEGATIVE_FRACTION = 0.08
# Fits run on one thread: with two cores and a virus scan (or another program) busy on one,
# OpenMP's spinning worker threads oversubscribed the cores and one boosted-tree fit took
# minutes. One thread per fit keeps the time the same on a quiet and on a busy machine.
N_JOBS = 1
THREADS = 1


def limited_threads() -> threadpool_limits:
    """Cap the numerical libraries (OpenMP of the boosted trees, BLAS) at :data:`THREADS`."""
    return threadpool_limits(limits=THREADS)


@dataclass(frozen=True)
class ModelConfig:
    family: str
    feature_set: str  # a FEATURE_SETS name, or the feature key of a baseline
    params: tuple[tuple[str, Any], ...] = ()
    horizon: int = 1

    @property
    def key(self) -> str:
        p = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.family}|{self.feature_set}|{p}|h{self.horizon}"

    @property
    def features(self) -> tuple[str, ...]:
        if self.family == "baseline":
            return (self.feature_set,)
        return FEATURE_SETS[self.feature_set]

    @property
    def is_baseline(self) -> bool:
        return self.family == "baseline"

    @property
    def label(self) -> str:
        if self.is_baseline:
            return self.name
        return f"{self.name[:-1]}; {self.settings}）"

    @property
    def name(self) -> str:
        """The family and the feature set (or the simple ranking), without the settings."""
        if self.is_baseline:
            return f"基準: {BASELINES.get(self.feature_set, self.feature_set)}"
        return f"{FAMILY_LABELS[self.family]}（{FEATURE_SET_LABELS[self.feature_set]}）"

    @property
    def settings(self) -> str:
        """The hyperparameters in words (empty for a simple ranking)."""
        return "、".join(f"{PARAM_LABELS.get(k, k)} {_param_value(v)}" for k, v in self.params)

    def with_horizon(self, horizon: int) -> ModelConfig:
        return ModelConfig(self.family, self.feature_set, self.params, horizon)

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "feature_set": self.feature_set,
                "params": [[k, v] for k, v in self.params], "horizon": self.horizon}

    @staticmethod
    def from_json(data: dict[str, Any]) -> ModelConfig:
        params = tuple((str(k), v) for k, v in data.get("params", []))
        return ModelConfig(str(data["family"]), str(data["feature_set"]), params,
                           int(data.get("horizon", 1)))


PARAM_LABELS = {
    "C": "正則化の逆数", "penalty": "正則化", "class_weight": "クラスの重み",
    "n_estimators": "木の数", "max_depth": "木の深さ", "min_samples_leaf": "葉の最小件数",
    "max_features": "特徴の抽出割合", "learning_rate": "学習率", "max_iter": "反復回数",
    "max_leaf_nodes": "葉の最大数", "l2_regularization": "L2正則化",
}
_VALUE_LABELS = {"none": "なし", "None": "なし", "balanced": "釣り合わせる", "sqrt": "平方根",
                 "l1": "L1", "l2": "L2"}


def _param_value(value: object) -> str:
    return _VALUE_LABELS.get(str(value), str(value))


def baseline_configs(horizon: int = 1) -> list[ModelConfig]:
    return [ModelConfig("baseline", key, (), horizon) for key in BASELINES]


def candidate_grid(
    horizon: int = 1, feature_sets: Sequence[str] | None = None
) -> list[ModelConfig]:
    """The full grid: the baselines plus every family × feature set × hyperparameters (45).

    Trimmed from 211 candidates: on the demo city neighbours in the old grid (C a factor of
    three apart, 150 against 100 trees, three learning rates) ranked within noise of each
    other, and each fit costs time on an office PC. What is left spans weak to strong
    regularization and shallow to deep trees for each feature set."""
    sets = list(feature_sets or FEATURE_SETS)
    grid = baseline_configs(horizon)
    for fs in sets:
        for c in (0.01, 0.1, 1.0):
            grid.append(ModelConfig("logreg_l2", fs, (("C", c), ("class_weight", "none")),
                                    horizon))
        grid.append(ModelConfig("logreg_l2", fs, (("C", 0.1), ("class_weight", "balanced")),
                                horizon))
        for c in (0.03, 0.3):
            grid.append(ModelConfig("logreg_l1", fs, (("C", c),), horizon))
        for lr, leaves, iters, leaf in ((0.05, 8, 150, 40), (0.05, 8, 300, 40),
                                        (0.05, 16, 200, 80), (0.1, 4, 150, 20),
                                        (0.03, 16, 300, 80)):
            grid.append(ModelConfig("hgb", fs, (
                ("learning_rate", lr), ("max_leaf_nodes", leaves),
                ("max_iter", iters), ("min_samples_leaf", leaf)), horizon))
        for depth, leaf in ((8, 20), (12, 40)):
            grid.append(ModelConfig("rf", fs, (
                ("n_estimators", 100), ("max_depth", depth),
                ("min_samples_leaf", leaf), ("max_features", "sqrt")), horizon))
    return grid


def small_grid(horizon: int = 1) -> list[ModelConfig]:
    """A handful of candidates (tests, quick runs): baselines and one of each family."""
    return [
        *baseline_configs(horizon),
        ModelConfig("logreg_l2", "absence", (("C", 0.1), ("class_weight", "none")), horizon),
        ModelConfig("logreg_l1", "absence_health", (("C", 0.1),), horizon),
        ModelConfig("hgb", "absence_health", (("learning_rate", 0.1), ("max_leaf_nodes", 8),
                                              ("max_iter", 100), ("min_samples_leaf", 20)),
                    horizon),
        ModelConfig("rf", "absence", (("n_estimators", 50), ("max_depth", 6),
                                      ("min_samples_leaf", 10), ("max_features", "sqrt")),
                    horizon),
    ]



def demo_grid(horizon: int = 1) -> list[ModelConfig]:
    """The demo city's first model (``init --demo``): :func:`small_grid` without its L1
    logistic regression, whose liblinear fits (about 2.5 s each on the full demo city, five
    per training) were over a quarter of the demo's creation time. The card names the
    families and counts the candidates that were compared."""
    return [c for c in small_grid(horizon) if c.family != "logreg_l1"]

def _signed_log(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(np.sign(x) * np.log1p(np.abs(x)), dtype=np.float64)


class EmptyColumnsToZero(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Columns with no value in the training rows become 0 (trees cannot bin them)."""

    def fit(self, x: npt.NDArray[np.float64], y: object = None) -> EmptyColumnsToZero:
        self.empty_ = np.isnan(x).all(axis=0) if len(x) else np.zeros(x.shape[1], dtype=bool)
        return self

    def transform(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if not self.empty_.any():
            return x
        out = np.array(x, dtype=np.float64, copy=True)
        out[:, self.empty_] = 0.0
        return out


def make_estimator(config: ModelConfig, seed: int) -> Any:
    p = dict(config.params)
    if config.family in ("baseline", "logreg_l2", "logreg_l1"):
        if config.family == "baseline":
            lr = LogisticRegression(C=1e4, max_iter=2000)
        elif config.family == "logreg_l2":
            cw = None if p.get("class_weight", "none") == "none" else "balanced"
            lr = LogisticRegression(C=float(p["C"]), class_weight=cw, max_iter=3000)
        else:
            lr = LogisticRegression(C=float(p["C"]), l1_ratio=1.0, solver="liblinear",
                                    max_iter=3000, random_state=seed)
        steps: list[tuple[str, Any]] = [
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
        ]
        if config.family != "baseline":
            steps.append(("log", FunctionTransformer(_signed_log)))
        steps += [("scale", StandardScaler()), ("model", lr)]
        return Pipeline(steps)
    if config.family == "hgb":
        return Pipeline([
            ("empty", EmptyColumnsToZero()),
            ("model", HistGradientBoostingClassifier(
                learning_rate=float(p["learning_rate"]),
                max_leaf_nodes=int(p["max_leaf_nodes"]),
                max_iter=int(p["max_iter"]),
                min_samples_leaf=int(p["min_samples_leaf"]),
                l2_regularization=1.0,
                early_stopping=False,
                random_state=seed,
            )),
        ])
    if config.family == "rf":
        mf = p["max_features"]
        return Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
            ("model", RandomForestClassifier(
                n_estimators=int(p["n_estimators"]),
                max_depth=int(p["max_depth"]),
                min_samples_leaf=int(p["min_samples_leaf"]),
                max_features=mf if isinstance(mf, str) else float(mf),
                n_jobs=N_JOBS,
                random_state=seed,
            )),
        ])
    raise ValueError(f"unknown model family {config.family!r}")


def _seed_for(config_key: str, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}:{config_key}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def training_rows(
    y: npt.NDArray[np.bool_], negative_fraction: float, seed: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Indexes of the rows to fit on and their weights: all positives, sampled negatives."""
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(y)
    neg = np.flatnonzero(~y)
    if negative_fraction >= 1.0:
        keep = np.arange(len(y))
        return keep, np.ones(len(y))
    n_neg = max(1, round(len(neg) * negative_fraction))
    chosen = np.sort(rng.choice(neg, size=min(n_neg, len(neg)), replace=False))
    keep = np.sort(np.concatenate([pos, chosen]))
    weight = np.where(y[keep], 1.0, len(neg) / max(len(chosen), 1))
    return keep, weight


@dataclass
class FittedModel:
    config: ModelConfig
    estimator: Any
    features: tuple[str, ...]
    n_rows: int
    n_positive: int
    fit_seconds: float
    # Feature means of the training rows (explanations fall back to them).
    means: dict[str, float] = field(default_factory=dict)

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        return self.predict_matrix(matrix(frame, self.features))

    def predict_matrix(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if len(x) == 0:
            return np.zeros(0)
        with limited_threads():
            proba = self.estimator.predict_proba(x)
        # Forests sum their trees' votes in parallel, in no fixed order: the last bits of a
        # probability may differ between runs. Rounding keeps scores (and ranks) reproducible.
        return np.asarray(np.round(proba[:, 1], 12), dtype=np.float64)

    def to_bytes(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def from_bytes(blob: bytes) -> FittedModel:
        # Only ever called on blobs read from the encrypted store that wrote them.
        model = pickle.loads(blob)  # noqa: S301
        if not isinstance(model, FittedModel):
            raise TypeError("not a fitted risk model")
        return model


def matrix(
    frame: pd.DataFrame, features: Sequence[str], rows: npt.NDArray[np.intp] | None = None
) -> npt.NDArray[np.float64]:
    """The feature columns as one float64 array, only of the row positions ``rows`` when given
    (a fit needs its sampled rows only: no copy of the whole frame is made)."""
    n = len(frame) if rows is None else len(rows)
    out = np.empty((n, len(features)), dtype=np.float64)
    for j, f in enumerate(features):
        col = frame[f].to_numpy(dtype=np.float64, na_value=np.nan)
        out[:, j] = col if rows is None else col[rows]
    return out


def check_inputs_allowed(features: Sequence[str]) -> None:
    """Refuse protected attributes as inputs (they are for the audit only)."""
    bad = [f for f in features if f in PROTECTED or f not in FEATURE_BY_KEY]
    if bad:
        raise ValueError(f"not allowed as model inputs: {bad}")


@dataclass(frozen=True)
class TrainingSample:
    """The rows a fit uses: all positives and a seeded sample of the negatives of the rows
    allowed, as positions in the frame, with the labels and the weights that restore the
    population's scale; ``n_rows`` / ``n_positive`` count every observed row allowed."""

    rows: npt.NDArray[np.intp]
    y: npt.NDArray[np.bool_]
    weight: npt.NDArray[np.float64]
    n_rows: int
    n_positive: int


def training_sample(
    frame: pd.DataFrame,
    horizon: int,
    *,
    allowed: npt.NDArray[np.bool_] | None = None,
    negative_fraction: float = DEFAULT_NEGATIVE_FRACTION,
    seed: int = 0,
) -> TrainingSample:
    obs = frame[f"obs{horizon}"].to_numpy(dtype=bool)
    if allowed is not None:
        obs = obs & allowed
    positions = np.flatnonzero(obs)
    y_all = frame[f"y{horizon}"].to_numpy(dtype=bool)[positions]
    if y_all.sum() == 0 or y_all.sum() == len(y_all):
        raise NotEnoughData("学習に使える期間に、新たに不登校となった例がありません"
                            "（年度・月ごとの出欠と長期欠席調査の記録が必要です）。")
    keep, weight = training_rows(y_all, negative_fraction, seed)
    return TrainingSample(positions[keep], y_all[keep], weight, len(y_all), int(y_all.sum()))


def fit_sample(
    config: ModelConfig, x: npt.NDArray[np.float64], sample: TrainingSample, *, seed: int = 0
) -> FittedModel:
    """Fit one candidate on the sampled rows' feature matrix ``x`` (rows of ``sample``)."""
    check_inputs_allowed(config.features)
    estimator = make_estimator(config, seed)
    start = time.perf_counter()
    estimator.fit(x, sample.y, model__sample_weight=sample.weight)
    seconds = time.perf_counter() - start
    means: dict[str, float] = {}
    for i, f in enumerate(config.features):
        ok = np.isfinite(x[:, i])
        means[f] = (float(np.average(x[ok, i], weights=sample.weight[ok])) if ok.any()
                    else 0.0)
    return FittedModel(config, estimator, config.features, sample.n_rows, sample.n_positive,
                       seconds, means)


def fit_model(
    config: ModelConfig,
    frame: pd.DataFrame,
    *,
    seed: int = 0,
    negative_fraction: float = DEFAULT_NEGATIVE_FRACTION,
    allowed: npt.NDArray[np.bool_] | None = None,
) -> FittedModel:
    """Fit one candidate on the observed rows of ``frame`` (label ``y{horizon}``), only those
    in ``allowed`` when given (a fold's training rows)."""
    check_inputs_allowed(config.features)
    sample = training_sample(frame, config.horizon, allowed=allowed,
                             negative_fraction=negative_fraction,
                             seed=_seed_for(config.key, seed))
    with limited_threads():
        return fit_sample(config, matrix(frame, config.features, sample.rows), sample, seed=seed)
