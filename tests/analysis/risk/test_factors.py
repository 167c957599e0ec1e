"""Double lasso recovers a planted effect; domain judgments; the factor table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LassoCV
from sklearn.model_selection import KFold

from analysis.factors import (
    CAUTION,
    describe,
    double_lasso,
    factor_analysis,
    ols_hc1,
    pupil_year_table,
    single_regression,
)
from analysis.risk import RiskInputs
from analysis.survey_norms import domain_judgments

THETA = 0.5


def _simulated(seed: int, n: int = 1500, p: int = 60) -> tuple[np.ndarray, ...]:
    """y = θ d + Wβ + e, d = Wγ + u, with confounders shared by β and γ."""
    rng = np.random.default_rng(seed)
    cov = 0.5 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    w = rng.multivariate_normal(np.zeros(p), cov, size=n)
    gamma = np.zeros(p)
    gamma[:5] = [1.0, 0.8, 0.6, 0.4, 0.2]
    beta = np.zeros(p)
    beta[:5] = [1.0, 1.0, 0.5, 0.5, 0.5]
    beta[10:13] = 0.7
    d = w @ gamma + rng.normal(size=n)
    y = THETA * d + w @ beta + rng.normal(size=n) * (1 + 0.5 * np.abs(w[:, 0]))
    return y, d, w


def _cross_fitted_reference(y: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """A DoubleML-style partialling-out estimator (5-fold cross-fitted LassoCV nuisances)."""
    ry = np.zeros_like(y)
    rd = np.zeros_like(d)
    for train, test in KFold(5, shuffle=True, random_state=0).split(w):
        ry[test] = y[test] - LassoCV(cv=5, random_state=0).fit(w[train], y[train]).predict(
            w[test])
        rd[test] = d[test] - LassoCV(cv=5, random_state=0).fit(w[train], d[train]).predict(
            w[test])
    theta = float(rd @ ry / (rd @ rd))
    psi = (ry - theta * rd) * rd
    se = float(np.sqrt(np.mean(psi**2) / np.mean(rd**2) ** 2 / len(y)))
    return theta, se


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_double_lasso_recovers_a_planted_effect(seed: int) -> None:
    y, d, w = _simulated(seed)
    naive = single_regression(y, d)
    assert abs(naive.coef - THETA) > 0.5  # confounded: the single regression is far off
    est = double_lasso(y, d, w)
    assert est.lo <= THETA <= est.hi
    assert abs(est.coef - THETA) < 0.1
    assert {0, 1, 2} <= set(est.selected)  # the strong confounders are kept
    ref, ref_se = _cross_fitted_reference(y, d, w)
    assert abs(est.coef - ref) < 2 * max(est.se, ref_se)


def test_double_lasso_agrees_with_doubleml_when_installed() -> None:
    doubleml = pytest.importorskip("doubleml")
    y, d, w = _simulated(4)
    data = doubleml.DoubleMLData.from_arrays(w, y, d)
    plr = doubleml.DoubleMLPLR(data, LassoCV(cv=5), LassoCV(cv=5), n_folds=5)
    plr.fit()
    est = double_lasso(y, d, w)
    assert abs(est.coef - float(plr.coef[0])) < 2 * max(est.se, float(plr.se[0]))


def test_hc1_errors_by_hand() -> None:
    x = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    y = np.array([1.0, 2.0, 2.0, 5.0])
    beta, se = ols_hc1(y, x)
    assert beta == pytest.approx([0.7, 1.2])  # slope 6/5, intercept 2.5 − 1.2·1.5
    resid = y - x @ beta
    xtx_inv = np.linalg.inv(x.T @ x)
    cov = xtx_inv @ (x.T * resid**2) @ x @ xtx_inv * 4 / 2
    assert se == pytest.approx(np.sqrt(np.diag(cov)))


def test_domain_judgments_flag_the_weak_domain() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for pid in range(1, 41):
        for domain in ("家庭", "学習", "教師関係", "友人関係"):
            share = 0.2 if (pid == 1 and domain == "友人関係") else float(rng.uniform(0.7, 1.0))
            rows.append((pid, 2025, "HAPPY", 1, "2025-06-10", domain, share))
    survey = pd.DataFrame(rows, columns=["pupil_id", "school_year", "survey_code", "round",
                                         "survey_date", "domain", "positive_share"])
    enr = pd.DataFrame({"pupil_id": range(1, 41), "school_year": 2025, "grade": 5,
                        "school_code": "S"})
    out = {j.domain: j for j in domain_judgments(survey, enr, 1)}
    assert out["友人関係"].weak and out["友人関係"].z < -2
    assert "友人との関係: 肯定的回答 20%（学年平均" in out["友人関係"].text
    assert not out["家庭"].weak
    assert domain_judgments(survey, enr, 999) == []


def test_factor_analysis_on_the_demo_city(mid_inputs: RiskInputs) -> None:
    enr = mid_inputs.enrollments
    assert mid_inputs.pupils is not None
    adjust = enr[enr["school_year"] == 2024][["pupil_id", "special_needs_class",
                                              "japanese_support"]]
    table = pupil_year_table(mid_inputs.attendance, enr, mid_inputs.survey,
                             mid_inputs.academic, 2024, adjust)
    assert {"absence_rate", "survey:友人関係", "survey:家庭", "academic"} <= set(table.columns)
    seen: list[float] = []
    report = factor_analysis(table, school_year=2024,
                             controls=["grade", "school_code", "special_needs_class",
                                       "japanese_support"], progress=seen.append)
    assert report.caution == CAUTION and "原因と結果を示すものではありません" in CAUTION
    assert {r.factor for r in report.results} >= {"survey:友人関係", "academic"}
    friends = next(r for r in report.results if r.factor == "survey:友人関係")
    # In the demo city strain lowers friend answers and raises absence: a negative link.
    assert friends.single.coef < 0
    assert "欠席率" in describe(friends)
    assert seen[-1] == 1.0
