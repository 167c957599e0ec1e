"""Truancy-risk model: monthly features, labels, candidate grid, temporal validation,
metrics with bootstrap intervals, fairness audit, model card and explanations.

Pure functions on DataFrames (no Qt, no database). The path of the data::

    inputs (RiskInputs) ──► build_frame ──► develop (grid → select → held-out evaluation →
    final fit) ──► score_month (lists of one month, bands, reasons)

Modules: ``panel`` (inputs, month index, dense arrays, as-of truncation), ``labels``,
``features``, ``models``, ``validation``, ``metrics``, ``evaluation``, ``fairness``,
``bands``, ``explain``, ``card``, ``pipeline``.
"""

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
