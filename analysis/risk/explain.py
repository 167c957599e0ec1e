"""Reasons for an alert in plain Japanese: the features that raise this pupil's risk most,
with the pupil's value beside the mean of the same grade that month.

A feature's contribution is how much the model's log-odds fall when that one value is set to
its grade mean (the same model, the same other values): model-agnostic, exact for the
logistic regressions and faithful for the trees. Only features that raise the risk, that are
meant as reasons (not grade or month), whose value lies on the worrying side of the grade
mean and whose dataset the viewer may see are named. When
none qualifies, the reason says that the pupil is on the list by the school's relative order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.risk.features import FEATURE_BY_KEY, Feature
from analysis.risk.models import FittedModel, matrix

NO_REASON = "目立った個別の要因はありません（一覧は学校ごとに数人を示すため入っています）"
HIDDEN_NOTE = "閲覧権限のないデータの寄与は表示していません"
MIN_CONTRIBUTION = 0.05  # log-odds


@dataclass(frozen=True)
class Reason:
    feature: str
    label: str
    value: float
    grade_mean: float
    contribution: float
    text: str


def format_value(feature: Feature, value: float) -> str:
    if not np.isfinite(value):
        return "記録なし"
    if feature.key in ("prev_year_truant", "survey_missed"):
        return "あり" if value >= 0.5 else "なし"
    shown = value * feature.scale
    digits = feature.digits
    if digits == 0 or (float(shown).is_integer() and feature.unit in ("日", "回", "件")):
        return f"{shown:.0f}{feature.unit}"
    return f"{shown:.{digits}f}{feature.unit}"


def reason_text(feature: Feature, value: float, mean: float) -> str:
    if feature.key in ("prev_year_truant", "survey_missed"):
        share = f"{mean * 100:.0f}%" if np.isfinite(mean) else "不明"
        return f"{feature.label} {format_value(feature, value)}（学年で該当 {share}）"
    return (f"{feature.label} {format_value(feature, value)}"
            f"（学年平均 {format_value(feature, mean)}）")


def grade_means(frame: pd.DataFrame, features: Collection[str]) -> pd.DataFrame:
    """Mean of each feature per (t, grade) over the rows given (one month: all pupils)."""
    cols = [f for f in features if f in frame.columns]
    return frame.groupby(["t", "grade"])[cols].mean()


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def explain(
    model: FittedModel,
    rows: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    visible_kinds: Collection[str] | None = None,
    top: int = 3,
) -> list[list[Reason]]:
    """Reasons per row of ``rows`` (best first), against grade means in ``reference``."""
    features = list(model.features)
    if not len(rows):
        return []
    means = grade_means(reference, features)
    key = pd.MultiIndex.from_arrays([rows["t"].to_numpy(), rows["grade"].to_numpy()])
    m = means.reindex(key)
    fallback = np.asarray([model.means.get(f, 0.0) for f in features], dtype=np.float64)
    ref = m.to_numpy(dtype=np.float64, na_value=np.nan)
    ref = np.where(np.isnan(ref), fallback[None, :], ref)
    x = matrix(rows, features)
    candidates = [
        j for j, f in enumerate(features)
        if FEATURE_BY_KEY[f].reason
        and (visible_kinds is None or FEATURE_BY_KEY[f].source in visible_kinds)
    ]
    n = len(rows)
    base = _logit(model.predict_matrix(x))
    if candidates:
        variants = np.repeat(x, len(candidates), axis=0)
        for i, j in enumerate(candidates):
            variants[i :: len(candidates), j] = ref[:, j]
        alt = _logit(model.predict_matrix(variants)).reshape(n, len(candidates))
        contrib = base[:, None] - alt
    else:
        contrib = np.zeros((n, 0))
    out: list[list[Reason]] = []
    for r in range(n):
        reasons: list[Reason] = []
        order: list[int] = np.argsort(-contrib[r], kind="stable").tolist() if candidates else []
        for c in order:
            if len(reasons) >= top or contrib[r, c] < MIN_CONTRIBUTION:
                break
            j = candidates[int(c)]
            f = FEATURE_BY_KEY[features[j]]
            value, mean = float(x[r, j]), float(ref[r, j])
            # Only a value on the worrying side of the grade mean is named as a reason.
            if not np.isfinite(value) or not np.isfinite(mean) or (value - mean) * f.direction <= 0:
                continue
            reasons.append(Reason(f.key, f.label, value, mean, float(contrib[r, c]),
                                  reason_text(f, value, mean)))
        out.append(reasons)
    return out
