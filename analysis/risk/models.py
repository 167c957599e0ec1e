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

from analysis.common import NotEnoughData
from analysis.risk.features import FEATURE_BY_KEY, FEATURE_SET_LABELS, FEATURE_SETS, PROTECTED

FAMILY_LABELS = {
    "baseline": "基準（単一指標の順位）",
    "logreg_l2": "ロジスティック回帰（L2正則化）",
    "logreg_l1": "ロジスティック回帰（L1正則化）",
    "hgb": "勾配ブースティング木",
    "rf": "ランダムフォレスト",
}
BASELINES = {
    "cum_abs": "今年度の累積欠席日数の順",
    "abs_rate_last": "先月の欠席率の順",
    # Not one of the baselines: a one-line rule, reported so that the model is also
    # judged against the simplest use of the absence pace.
    "proj_next": "先月のペースで見込んだ翌月末の累積欠席の順",
}
DEFAULT_NEGATIVE_FRACTION = 0.08
N_JOBS = 2


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
            return f"基準: {BASELINES.get(self.feature_set, self.feature_set)}"
        p = "、".join(f"{PARAM_LABELS.get(k, k)} {_param_value(v)}" for k, v in self.params)
        return f"{FAMILY_LABELS[self.family]}（{FEATURE_SET_LABELS[self.feature_set]}; {p}）"

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
    """The full grid: baselines plus every family × feature set × hyperparameters (211)."""
    sets = list(feature_sets or FEATURE_SETS)
    grid = baseline_configs(horizon)
    for fs in sets:
        for c in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0):
            for cw in ("none", "balanced"):
                grid.append(ModelConfig("logreg_l2", fs, (("C", c), ("class_weight", cw)),
                                        horizon))
        for c in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0):
            grid.append(ModelConfig("logreg_l1", fs, (("C", c),), horizon))
        for lr in (0.03, 0.1):
            for leaves in (4, 8, 16):
                for iters in (100, 300):
                    for leaf in (20, 80):
                        grid.append(ModelConfig("hgb", fs, (
                            ("learning_rate", lr), ("max_leaf_nodes", leaves),
                            ("max_iter", iters), ("min_samples_leaf", leaf)), horizon))
        for depth in (6, 12):
            for leaf in (10, 40):
                for mf in ("sqrt", 0.4):
                    grid.append(ModelConfig("rf", fs, (
                        ("n_estimators", 150), ("max_depth", depth),
                        ("min_samples_leaf", leaf), ("max_features", mf)), horizon))
    return grid


def small_grid(horizon: int = 1) -> list[ModelConfig]:
    """A handful of candidates (tests, quick runs): baselines and one of each family."""
    return [
        *baseline_configs(horizon),
        ModelConfig("logreg_l2", "absence_history", (("C", 0.1), ("class_weight", "none")),
                    horizon),
        ModelConfig("logreg_l1", "absence_health", (("C", 0.1),), horizon),
        ModelConfig("hgb", "absence_health", (("learning_rate", 0.1), ("max_leaf_nodes", 8),
                                              ("max_iter", 100), ("min_samples_leaf", 20)),
                    horizon),
        ModelConfig("rf", "absence", (("n_estimators", 50), ("max_depth", 6),
                                      ("min_samples_leaf", 10), ("max_features", "sqrt")),
                    horizon),
    ]


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


def matrix(frame: pd.DataFrame, features: Sequence[str]) -> npt.NDArray[np.float64]:
    if not features:
        return np.zeros((len(frame), 0))
    return np.column_stack(
        [frame[f].to_numpy(dtype=np.float64, na_value=np.nan) for f in features]
    )


def check_inputs_allowed(features: Sequence[str]) -> None:
    """Refuse protected attributes as inputs (they are for the audit only)."""
    bad = [f for f in features if f in PROTECTED or f not in FEATURE_BY_KEY]
    if bad:
        raise ValueError(f"not allowed as model inputs: {bad}")


def fit_model(
    config: ModelConfig,
    frame: pd.DataFrame,
    *,
    seed: int = 0,
    negative_fraction: float = DEFAULT_NEGATIVE_FRACTION,
    x: npt.NDArray[np.float64] | None = None,
) -> FittedModel:
    """Fit one candidate on the observed rows of ``frame`` (label ``y{horizon}``)."""
    check_inputs_allowed(config.features)
    h = config.horizon
    obs = frame[f"obs{h}"].to_numpy(dtype=bool)
    y_all = frame[f"y{h}"].to_numpy(dtype=bool)
    x_all = matrix(frame, config.features) if x is None else x
    x_obs, y = x_all[obs], y_all[obs]
    if y.sum() == 0 or y.sum() == len(y):
        raise NotEnoughData("学習に使える期間に、新たに長期欠席となった例がありません"
                            "（年度・月ごとの出欠と長期欠席の記録が必要です）。")
    keep, weight = training_rows(y, negative_fraction, _seed_for(config.key, seed))
    estimator = make_estimator(config, seed)
    start = time.perf_counter()
    estimator.fit(x_obs[keep], y[keep], model__sample_weight=weight)
    seconds = time.perf_counter() - start
    with np.errstate(all="ignore"):
        means = {f: float(np.nanmean(x_obs[:, i])) if np.isfinite(x_obs[:, i]).any() else 0.0
                 for i, f in enumerate(config.features)}
    return FittedModel(config, estimator, config.features, len(y), int(y.sum()),
                       seconds, means)
