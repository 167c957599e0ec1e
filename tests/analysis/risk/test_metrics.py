"""Metrics checked on a tiny example computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.risk.metrics import (
    Scored,
    bootstrap_recall,
    cell_weights,
    cells_of,
    lead_times,
    list_stability,
    per_month,
    ranking_metrics,
    recall_precision,
    reliability_curve,
)


def _frame() -> pd.DataFrame:
    """Two list months × two schools; 3 pupils each; y = became long-absent that month."""
    rows = [
        # list_month, school, pupil, t, y, score
        ("2025-05", "A", 1, 0, True, 0.9),
        ("2025-05", "A", 2, 0, False, 0.8),
        ("2025-05", "A", 3, 0, True, 0.1),
        ("2025-05", "B", 4, 0, False, 0.7),
        ("2025-05", "B", 5, 0, True, 0.6),
        ("2025-05", "B", 6, 0, False, 0.2),
        ("2025-06", "A", 2, 1, False, 0.9),
        ("2025-06", "A", 3, 1, True, 0.5),
        ("2025-06", "A", 7, 1, False, 0.4),
        ("2025-06", "B", 4, 1, False, 0.3),
        ("2025-06", "B", 6, 1, True, 0.8),
        ("2025-06", "B", 8, 1, False, 0.1),
    ]
    f = pd.DataFrame(rows, columns=["list_month", "list_school_code", "pupil_id", "t", "y1",
                                    "score"])
    f["obs1"] = True
    return f


def _scored() -> Scored:
    f = _frame()
    return Scored.build(f, f["score"].to_numpy(dtype=np.float64), 1)


def test_recall_and_precision_at_k_by_hand() -> None:
    s = _scored()
    # k=1: lists {1}, {4}, {2}, {6}: captured 1 (p1) + 1 (p6) of 5 events; 2 of 4 listed.
    assert recall_precision(s, 1) == (pytest.approx(2 / 5), pytest.approx(2 / 4))
    # k=2: May A {1,2}: 1; May B {4,5}: 1; June A {2,3}: 1; June B {6,4}: 1 → 4/5, 4/8.
    assert recall_precision(s, 2) == (pytest.approx(4 / 5), pytest.approx(4 / 8))
    pm = per_month(s, 2).set_index("month")
    assert pm.loc["2025-05", "events"] == 3 and pm.loc["2025-05", "captured"] == 2
    assert pm.loc["2025-06", "recall"] == pytest.approx(1.0)
    assert pm.loc["2025-05", "precision"] == pytest.approx(2 / 4)


def test_ranking_and_calibration_by_hand() -> None:
    y = np.array([True, False, True, False])
    p = np.array([0.9, 0.8, 0.3, 0.1])
    m = ranking_metrics(y, p)
    assert m["auc"] == pytest.approx(3 / 4)
    assert m["brier"] == pytest.approx((0.01 + 0.64 + 0.49 + 0.01) / 4)
    # AP: ranks 1 (hit, precision 1), 3 (hit, precision 2/3) → (1 + 2/3) / 2.
    assert m["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    curve = reliability_curve(y, p, bins=2)
    assert curve[0] == {"predicted": pytest.approx(0.2), "observed": pytest.approx(0.5), "n": 2}
    assert curve[1]["predicted"] == pytest.approx(0.85)


def test_ties_are_broken_the_same_way_every_time() -> None:
    f = _frame().assign(score=0.5)
    a = Scored.build(f, f["score"].to_numpy(dtype=np.float64), 1)
    b = Scored.build(f.iloc[::-1].reset_index(drop=True),
                     f["score"].to_numpy(dtype=np.float64)[::-1], 1)
    ranks_a = dict(zip(zip(a.list_month, a.pupil_id, strict=True), a.rank, strict=True))
    ranks_b = dict(zip(zip(b.list_month, b.pupil_id, strict=True), b.rank, strict=True))
    assert ranks_a == ranks_b


def test_lead_time_and_stability_by_hand() -> None:
    s = _scored()
    # k=2: events: p1 May (listed May → lead 0), p3 May (not listed in May → missed),
    # p5 May (listed → 0), p3 June (listed June only → 0), p6 June (listed June → 0).
    lead = lead_times(s, 2)
    assert lead["events"] == 5 and lead["listed_share"] == pytest.approx(4 / 5)
    assert lead["mean"] == 0
    # Stability k=2: June A {2,3} vs May A {1,2} → 1/2; June B {6,4} vs May B {4,5} → 1/2.
    assert list_stability(s, 2) == pytest.approx(0.5)
    # A pupil listed a month before the onset has a lead of one month.
    f = _frame()
    f.loc[(f["list_month"] == "2025-05") & (f["pupil_id"] == 6), "score"] = 0.99
    s2 = Scored.build(f, f["score"].to_numpy(dtype=np.float64), 1)
    assert lead_times(s2, 1)["mean"] == pytest.approx((0 + 1) / 2)


def test_bootstrap_interval_brackets_the_point_and_collapses_when_certain() -> None:
    s = _scored()
    cells = cells_of(s, (2, 10))
    w = cell_weights(len(cells.events), 500, seed=1)
    rec, _prec, reps, _ = bootstrap_recall(cells, 2, w)
    assert rec["value"] == pytest.approx(0.8)
    assert rec["lo"] <= rec["value"] <= rec["hi"]
    assert len(reps) == 500
    rec10, _, _, _ = bootstrap_recall(cells, 10, w)  # everyone listed: recall 1 always
    assert rec10 == {"value": 1.0, "lo": 1.0, "hi": 1.0}


def test_bootstrap_ranking_replicates_equal_sklearns_weighted_metrics() -> None:
    """The shared-sort replicates are sklearn's AUC, average precision and Brier score with
    the resampling counts as weights (rounded scores make ties; some cells drop out)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    from analysis.risk.metrics import bootstrap_ranking, row_cell_index

    rng = np.random.default_rng(3)
    n = 600
    months = np.array([f"2025-{m:02d}" for m in rng.integers(4, 10, n)], dtype=object)
    schools = np.array([f"S{s}" for s in rng.integers(0, 5, n)], dtype=object)
    score = np.round(rng.random(n), 2) * 1.1 - 0.05  # ties, and a few outside [0, 1]
    y = rng.random(n) < 0.15 + 0.5 * np.clip(score, 0, 1)
    f = pd.DataFrame({"list_month": months, "list_school_code": schools,
                      "pupil_id": np.arange(n), "t": 0, "y1": y, "score": score})
    f["obs1"] = True
    s = Scored.build(f, score, 1)
    cells = cells_of(s)
    weights = cell_weights(len(cells.events), 40, seed=1)
    got = bootstrap_ranking(s, cells, weights, 40)
    idx = row_cell_index(s, cells)
    want: dict[str, list[float]] = {"auc": [], "pr_auc": [], "brier": []}
    for b in range(40):
        w = weights[b][idx]
        keep = w > 0
        yy, ss, ww = s.y[keep], s.score[keep], w[keep]
        if yy.all() or not yy.any():
            continue
        want["auc"].append(roc_auc_score(yy, ss, sample_weight=ww))
        want["pr_auc"].append(average_precision_score(yy, ss, sample_weight=ww))
        want["brier"].append(brier_score_loss(yy, np.clip(ss, 0, 1), sample_weight=ww))
    for name, values in want.items():
        assert len(values) == 40
        np.testing.assert_allclose(got[name], values, rtol=1e-12, atol=1e-12)
