"""Truancy-risk model: monthly features, labels, candidate grid, temporal validation,
metrics with bootstrap intervals, fairness audit, model card and explanations.

Pure functions on DataFrames (no Qt, no database). The path of the data::

    inputs (RiskInputs) ──► build_frame ──► develop (grid → select → held-out evaluation →
    final fit) ──► score_month (lists of one month, bands, reasons)

Modules: ``panel`` (inputs, month index, dense arrays, as-of truncation), ``labels``,
``features``, ``models``, ``validation``, ``metrics``, ``evaluation``, ``fairness``,
``bands``, ``explain``, ``card``, ``pipeline``.

The names load on first use (PEP 562): the UI imports ``analysis.risk.bands`` for its words,
which must not bring scikit-learn and SciPy in before the login window.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.risk.bands import BANDS, band_of, bands
    from analysis.risk.card import model_card
    from analysis.risk.evaluation import evaluate_holdout, json_ready
    from analysis.risk.explain import Reason, explain
    from analysis.risk.features import (
        FEATURE_BY_KEY,
        FEATURE_SETS,
        FEATURES,
        PROTECTED,
        audit_groups,
        build_frame,
        feature_kinds,
    )
    from analysis.risk.models import (
        FittedModel,
        ModelConfig,
        baseline_configs,
        candidate_grid,
        demo_grid,
        fit_model,
        small_grid,
    )
    from analysis.risk.panel import (
        RiskInputs,
        month_label,
        survey_positive_shares,
        truncate_inputs,
    )
    from analysis.risk.pipeline import Development, develop, score_month
    from analysis.risk.validation import run_grid, select, split_years

__all__ = [
    "BANDS",
    "FEATURES",
    "FEATURE_BY_KEY",
    "FEATURE_SETS",
    "PROTECTED",
    "Development",
    "FittedModel",
    "ModelConfig",
    "Reason",
    "RiskInputs",
    "audit_groups",
    "band_of",
    "bands",
    "baseline_configs",
    "build_frame",
    "candidate_grid",
    "demo_grid",
    "develop",
    "evaluate_holdout",
    "explain",
    "feature_kinds",
    "fit_model",
    "json_ready",
    "model_card",
    "month_label",
    "run_grid",
    "score_month",
    "select",
    "small_grid",
    "split_years",
    "survey_positive_shares",
    "truncate_inputs",
]

_HOMES = {
    "BANDS": "analysis.risk.bands",
    "band_of": "analysis.risk.bands",
    "bands": "analysis.risk.bands",
    "model_card": "analysis.risk.card",
    "evaluate_holdout": "analysis.risk.evaluation",
    "json_ready": "analysis.risk.evaluation",
    "Reason": "analysis.risk.explain",
    "explain": "analysis.risk.explain",
    "FEATURE_BY_KEY": "analysis.risk.features",
    "FEATURE_SETS": "analysis.risk.features",
    "FEATURES": "analysis.risk.features",
    "PROTECTED": "analysis.risk.features",
    "audit_groups": "analysis.risk.features",
    "build_frame": "analysis.risk.features",
    "feature_kinds": "analysis.risk.features",
    "FittedModel": "analysis.risk.models",
    "ModelConfig": "analysis.risk.models",
    "baseline_configs": "analysis.risk.models",
    "candidate_grid": "analysis.risk.models",
    "fit_model": "analysis.risk.models",
    "small_grid": "analysis.risk.models",
    "demo_grid": "analysis.risk.models",
    "RiskInputs": "analysis.risk.panel",
    "month_label": "analysis.risk.panel",
    "survey_positive_shares": "analysis.risk.panel",
    "truncate_inputs": "analysis.risk.panel",
    "Development": "analysis.risk.pipeline",
    "develop": "analysis.risk.pipeline",
    "score_month": "analysis.risk.pipeline",
    "run_grid": "analysis.risk.validation",
    "select": "analysis.risk.validation",
    "split_years": "analysis.risk.validation",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'analysis.risk' has no attribute {name!r}")
    return getattr(import_module(home), name)
