"""Fairness figures on a constructed, deliberately biased example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.risk.fairness import group_rates


def test_recall_and_false_positive_gaps_on_a_biased_list() -> None:
    # Group A: 10 events (8 listed), 90 others (9 listed).
    # Group B: 10 events (4 listed), 90 others (27 listed): missed more, flagged wrongly more.
    y = np.r_[np.ones(10), np.zeros(90), np.ones(10), np.zeros(90)].astype(bool)
    listed = np.r_[np.arange(10) < 8, np.arange(90) < 9,
                   np.arange(10) < 4, np.arange(90) < 27].astype(bool)
    groups = pd.DataFrame({"群": ["A"] * 100 + ["B"] * 100,
                           "学年": ["1年"] * 200})
    out = group_rates(y, listed, groups)
    a, b = out["群"]["groups"]
    assert (a["group"], a["events"], a["listed"]) == ("A", 10, 17)
    assert a["recall"] == pytest.approx(0.8) and b["recall"] == pytest.approx(0.4)
    assert a["fpr"] == pytest.approx(0.1) and b["fpr"] == pytest.approx(0.3)
    assert a["precision"] == pytest.approx(8 / 17) and b["precision"] == pytest.approx(4 / 31)
    assert out["群"]["recall_gap"] == pytest.approx(0.4)
    assert out["群"]["fpr_gap"] == pytest.approx(0.2)
    assert out["群"]["fpr_ratio"] == pytest.approx(3.0)
    # One group only: no gap, no crash.
    assert np.isnan(out["学年"]["recall_gap"])


def test_small_groups_are_marked_not_dropped() -> None:
    y = np.array([True, False, True, False])
    listed = np.array([True, False, False, True])
    out = group_rates(y, listed, pd.DataFrame({"性別": ["男", "男", "女", "女"]}))
    assert all(g["small"] for g in out["性別"]["groups"])
    assert len(out["性別"]["groups"]) == 2
    assert np.isnan(out["性別"]["recall_gap"])  # both groups too small to judge
