"""Developing a model (grid → selection → held-out evaluation → final fit) and scoring the
lists of one month with it.

:func:`develop` runs the candidate grid on the selection folds, selects the best model and
compares it with the best reason-aware simple ranking (the product uses the simple ranking when
the model is not at least as good), evaluates the best model and every baseline on the
held-out last school year, and fits the configuration in use once more on every observed row.
:func:`score_month` builds the features at the end of the month before the list month from
inputs cut at that month-end, ranks the pupils of each school and explains the top k.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.common import CancelFn, NotEnoughData, ProgressFn, Steps
from analysis.risk.bands import bands
from analysis.risk.evaluation import evaluate_holdout, json_ready
from analysis.risk.explain import explain
from analysis.risk.features import build_frame
from analysis.risk.metrics import ranks_within, tiebreak
from analysis.risk.models import (
    DEFAULT_NEGATIVE_FRACTION,
    FittedModel,
    ModelConfig,
    candidate_grid,
    fit_model,
)
from analysis.risk.panel import RiskInputs, month_label, truncate_inputs
from analysis.risk.validation import GridResult, choose, regret, run_grid, split_years
from kernel.school_calendar import FIRST_MONTH


@dataclass
class Development:
    config: ModelConfig  # the configuration in use (a simple ranking when it was chosen)
    grid: GridResult
    selection_years: list[int]
    holdout_year: int
    evaluation: dict[str, Any]
    model: FittedModel
    regret: dict[str, Any] | None
    seconds: float
    choice: dict[str, Any] = field(default_factory=dict)  # validation.choose
    model_config: ModelConfig | None = None  # the best model (evaluated as "model")

    def selection_row(self, key: str | None = None) -> dict[str, Any]:
        s = self.grid.summary
        row = s[s["key"] == (key or self.config.key)].iloc[0].to_dict()
        return json_ready({str(k): v for k, v in row.items()})


def develop(
    frame: pd.DataFrame,
    *,
    grid: Sequence[ModelConfig] | None = None,
    audit: pd.DataFrame | None = None,
    seed: int = 0,
    negative_fraction: float = DEFAULT_NEGATIVE_FRACTION,
    n_boot: int = 1000,
    n_boot_ranking: int = 100,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Development:
    steps = Steps(progress, cancel)
    started = time.perf_counter()
    configs = list(grid) if grid is not None else candidate_grid()
    selection_years, holdout = split_years(frame)
    result = run_grid(frame, configs, selection_years, seed=seed,
                      negative_fraction=negative_fraction,
                      progress=steps.part(0.0, 0.85).callback(), cancel=cancel)
    choice = choose(result.summary)
    best = result.config(choice["model"])
    used = result.config(choice["selected"])
    evaluation = evaluate_holdout(
        frame, best, holdout, audit=audit, seed=seed, negative_fraction=negative_fraction,
        n_boot=n_boot, n_boot_ranking=n_boot_ranking,
        progress=steps.part(0.85, 0.97).callback(), cancel=cancel,
    )
    steps.report(0.97)
    final = fit_model(used, frame, seed=seed, negative_fraction=negative_fraction)
    steps.report(1.0)
    evaluation["choice"] = choice  # the selection including the baselines, for the reports
    return Development(used, result, list(selection_years), holdout, json_ready(evaluation),
                       final, regret(result), time.perf_counter() - started,
                       json_ready(choice), best)


def list_month_inputs(inputs: RiskInputs, list_year: int, list_offset: int) -> tuple[
    RiskInputs, int, int
]:
    """Inputs as of the end of the month before the list month, and that month."""
    if list_offset == 0:
        year, offset = list_year - 1, 11
    else:
        year, offset = list_year, list_offset - 1
    return truncate_inputs(inputs, year, offset), year, offset


def score_month(
    model: FittedModel,
    inputs: RiskInputs,
    list_year: int,
    list_offset: int,
    *,
    k: int = 5,
    visible_kinds: Collection[str] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> pd.DataFrame:
    """Every pupil not yet 不登校 this school year, ranked within the school of the list month.

    Columns: pupil_id, school_code, grade, rank, band, probability (internal: never shown),
    reasons (list of Reason for rank <= k, else empty), list_month. Raises ValueError when
    the month before has no attendance rows.
    """
    steps = Steps(progress, cancel)
    cut, year, offset = list_month_inputs(inputs, list_year, list_offset)
    att = cut.attendance
    month_rows = att[(att["school_year"] == year)
                     & (((att["month"].astype("int64") - FIRST_MONTH) % 12) == offset)]
    label = month_label(list_year, list_offset)
    if month_rows.empty:
        raise NotEnoughData(f"{label} の一覧に必要な前月の出欠データがありません。")
    first_year = int(att["school_year"].min())
    t = (year - first_year) * 12 + offset
    frame = build_frame(cut, months=[t], horizons=(), progress=steps.part(0.0, 0.6).callback(),
                        cancel=cancel)
    steps.report(0.6)
    if list_offset == 0:
        frame = _april_schools(frame, inputs.enrollments, list_year)
    p = model.predict(frame)
    rank = ranks_within([frame["list_school_code"].to_numpy()], p,
                        tiebreak(frame["pupil_id"].to_numpy(), frame["t"].to_numpy()))
    out = pd.DataFrame({
        "pupil_id": frame["pupil_id"].to_numpy(dtype=np.int64),
        "school_code": frame["list_school_code"].to_numpy(),
        "grade": frame["grade"].to_numpy(),
        "rank": rank,
        "band": bands(p),
        "probability": p,
        "list_month": label,
    }, index=frame.index)
    top = out["rank"].to_numpy() <= k
    reasons: list[list[Any]] = [[] for _ in range(len(out))]
    explained = explain(model, frame[top], frame, visible_kinds=visible_kinds)
    for i, r in zip(np.flatnonzero(top), explained, strict=True):
        reasons[int(i)] = r
    out["reasons"] = reasons
    steps.report(1.0)
    return out.sort_values(["school_code", "rank"], kind="stable").reset_index(drop=True)


def _april_schools(frame: pd.DataFrame, enrollments: pd.DataFrame, list_year: int) -> pd.DataFrame:
    """April lists follow the new school year's roster when it is in (grade 6 → junior
    high); without a roster, the last grade of each school leaves it (6th-graders go on to a
    junior high not known yet, 中3 finish) and is dropped from the lists."""
    roster = enrollments[enrollments["school_year"] == list_year]
    if roster.empty:
        return frame[~frame["grade"].isin((6, 9))]
    school = roster.drop_duplicates("pupil_id", keep="last").set_index("pupil_id")["school_code"]
    new = frame["pupil_id"].map(school)
    frame = frame[new.notna()].copy()
    frame["list_school_code"] = new[new.notna()].astype(str).to_numpy()
    return frame
