"""Factor analysis of absence: single regressions, post-double-selection (double lasso),
and per-pupil domain judgments from survey item domains.

- :func:`pupil_year_table`: one row per pupil of a school year — absence rate (%), the
  candidate factors (share of positive answers per survey domain, academic level) and the
  controls (grade, school, and the adjustment attributes given); :func:`year_table` builds
  it from inputs already reduced per pupil.
- :func:`single_regressions`: absence rate on each factor alone (OLS, HC1 robust errors).
- :func:`double_lasso`: Belloni–Chernozhukov–Hansen post-double-selection: a lasso of the
  outcome on the controls, a lasso of the factor on the controls (plug-in penalty with
  heteroskedasticity-robust loadings), then OLS of the outcome on the factor and the union of
  the selected controls with HC1 errors. :func:`factor_analysis` runs it for each factor with
  the other factors and the controls as candidate controls.
- :func:`domain_judgments` (from :mod:`analysis.survey_norms`): which survey domains of one
  pupil look weak against the grade.

Estimates are associations in observational data. :data:`CAUTION` says so in plain Japanese
and goes with every result shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import Lasso
from threadpoolctl import threadpool_limits

from analysis.common import CancelFn, ProgressFn, Steps
from analysis.survey_norms import DOMAIN_FACTORS

FloatArray = npt.NDArray[np.float64]
THREADS = 1  # of the numerical libraries while the estimates run (see factor_analysis)

CAUTION = (
    "これは観察データにもとづく関連の大きさで、原因と結果を示すものではありません。"
    "ほかの要因を統計的に調整していますが、測っていない要因（家庭の事情、体調、"
    "学校での出来事など）の影響や、欠席が多いことが回答に影響する逆向きの関係は"
    "取り除けません。個々の児童生徒の判断には使わず、学校や市の施策を考える手がかりとしてください。"
)



def _factor_key(domain: str) -> str:
    return f"survey:{domain}"


# -- the table ------------------------------------------------------------------------------


def pupil_year_table(
    attendance: pd.DataFrame,
    enrollments: pd.DataFrame,
    survey: pd.DataFrame | None,
    academic: pd.DataFrame | None,
    school_year: int,
    adjustments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per pupil enrolled in ``school_year`` with attendance that year.

    Columns: pupil_id, absence_rate (% of school days), grade, school_code, one column per
    survey domain (``survey:<domain>``, mean share of positive answers over the year's
    rounds), ``academic`` (mean level), and the columns of ``adjustments`` (pupil_id + any
    0/1 or numeric columns, e.g. sex as 女=1, special needs, Japanese support).
    """
    att = attendance[attendance["school_year"] == school_year]
    sums = att.groupby("pupil_id")[["absence_days", "school_days"]].sum()
    shares = levels = None
    if survey is not None and not survey.empty:
        s = survey[survey["school_year"] == school_year]
        shares = s.groupby(["pupil_id", "domain"])["positive_share"].mean()
    if academic is not None and not academic.empty:
        a = academic[academic["school_year"] == school_year]
        levels = pd.to_numeric(a["level"], errors="coerce").groupby(a["pupil_id"]).mean()
    return year_table(sums, enrollments[enrollments["school_year"] == school_year], shares,
                      levels, adjustments)


def year_table(
    sums: pd.DataFrame,
    enrollments: pd.DataFrame,
    shares: pd.Series | None,
    levels: pd.Series | None,
    adjustments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`pupil_year_table` from one year's inputs already reduced per pupil (as the
    store reduces them, so that a city's month and answer rows never become Python objects).

    ``sums``: absence_days and school_days per pupil_id (the index); ``enrollments``: the
    year's rows (the last of a pupil counts); ``shares``: positive_share indexed by
    (pupil_id, domain), the mean over the year's surveys and rounds; ``levels``: the mean
    academic level indexed by pupil_id.
    """
    sums = sums[sums["school_days"] > 0]
    out = pd.DataFrame({"pupil_id": sums.index.to_numpy(dtype=np.int64),
                        "absence_rate": (100.0 * sums["absence_days"]
                                         / sums["school_days"]).to_numpy(dtype=np.float64)})
    enr = enrollments.drop_duplicates("pupil_id", keep="last")[
        ["pupil_id", "grade", "school_code"]]
    out = out.merge(enr, on="pupil_id", how="inner")
    if shares is not None:
        wide = shares.unstack()
        wide.columns = [_factor_key(str(c)) for c in wide.columns]
        out = out.merge(wide.reset_index(), on="pupil_id", how="left")
    if levels is not None:
        out = out.merge(levels.rename("academic").reset_index(), on="pupil_id", how="left")
    if adjustments is not None:
        out = out.merge(adjustments, on="pupil_id", how="left")
    return out


def factor_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("survey:") or c == "academic"]


def factor_label(column: str) -> str:
    if column == "academic":
        return "学力（県学調のレベル）"
    domain = column.split(":", 1)[1]
    return f"調査「{DOMAIN_FACTORS.get(domain, domain)}」の肯定的回答"


# -- estimators -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    coef: float
    se: float
    lo: float
    hi: float
    n: int
    selected: tuple[int, ...] = ()  # indexes of the controls kept (double lasso)


Z95 = NormalDist().inv_cdf(0.975)


def ols_hc1(y: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """OLS coefficients and HC1 (heteroskedasticity-robust) standard errors; ``x`` should
    include the intercept column."""
    n, k = x.shape
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    meat = (x * resid[:, None] ** 2).T @ x
    cov = xtx_inv @ meat @ xtx_inv * (n / max(n - k, 1))
    return beta, np.sqrt(np.maximum(np.diag(cov), 0.0))


def _estimate(y: FloatArray, d: FloatArray, controls: FloatArray,
              selected: Sequence[int] = ()) -> Estimate:
    x = np.column_stack([np.ones(len(y)), d, controls]) if controls.size else np.column_stack(
        [np.ones(len(y)), d])
    beta, se = ols_hc1(y, x)
    return Estimate(float(beta[1]), float(se[1]), float(beta[1] - Z95 * se[1]),
                    float(beta[1] + Z95 * se[1]), len(y), tuple(int(i) for i in selected))


def plugin_lasso(
    y: FloatArray, x: FloatArray, *, c: float = 1.1, gamma: float | None = None,
    iterations: int = 5,
) -> npt.NDArray[np.intp]:
    """Columns selected by a lasso with the BCH plug-in penalty and robust loadings.

    Penalty λ = 2c√n Φ⁻¹(1 − γ/2p) with γ = 0.1 / log n; loadings ψ_j = √(mean(x_j² e²))
    start from e = y − ȳ and are refreshed from post-lasso residuals.
    """
    n, p = x.shape
    if p == 0:
        return np.zeros(0, dtype=np.intp)
    gamma = gamma if gamma is not None else 0.1 / np.log(max(n, 3))
    lam = 2 * c * np.sqrt(n) * NormalDist().inv_cdf(1 - gamma / (2 * p))
    sd = x.std(axis=0)
    keep = sd > 1e-12
    xs = np.zeros_like(x)
    xs[:, keep] = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    yc = y - y.mean()
    resid = yc
    selected = np.zeros(0, dtype=np.intp)
    for step in range(iterations):
        psi = np.sqrt(np.mean(xs**2 * resid[:, None] ** 2, axis=0))
        psi = np.where(psi > 1e-12, psi, 1e-12)
        model = Lasso(alpha=lam / (2 * n), fit_intercept=False, max_iter=10000, tol=1e-6)
        model.fit(xs / psi, yc)
        new = np.flatnonzero((np.abs(model.coef_) > 1e-10) & keep).astype(np.intp)
        if new.size:
            xa = np.column_stack([np.ones(n), x[:, new]])
            b = np.linalg.lstsq(xa, y, rcond=None)[0]
            resid = y - xa @ b
        else:
            resid = yc
        if np.array_equal(new, selected) and step > 0:
            break
        selected = new
    return selected


def double_lasso(y: FloatArray, d: FloatArray, controls: FloatArray) -> Estimate:
    """Post-double-selection estimate of the effect of ``d`` on ``y`` given ``controls``."""
    s_y = plugin_lasso(y, controls)
    s_d = plugin_lasso(d, controls)
    union = np.union1d(s_y, s_d).astype(np.intp)
    return _estimate(y, d, controls[:, union], union.tolist())


def single_regression(y: FloatArray, d: FloatArray) -> Estimate:
    return _estimate(y, d, np.zeros((len(y), 0)))


# -- the analysis ---------------------------------------------------------------------------


def _design(table: pd.DataFrame, columns: Sequence[str]) -> tuple[FloatArray, list[str]]:
    """Numeric controls: given numeric columns (missing → mean + indicator), one-hot of
    grade and school (first level dropped)."""
    parts: list[FloatArray] = []
    names: list[str] = []
    for c in columns:
        if c in ("grade", "school_code"):
            dummies = pd.get_dummies(table[c].astype(str), prefix=c, drop_first=True,
                                     dtype=np.float64)
            parts.append(dummies.to_numpy(dtype=np.float64))
            names += list(dummies.columns)
            continue
        v = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=np.float64)
        miss = np.isnan(v)
        fill = float(np.nanmean(v)) if (~miss).any() else 0.0
        parts.append(np.where(miss, fill, v)[:, None])
        names.append(c)
        if miss.any() and (~miss).any():
            parts.append(miss.astype(np.float64)[:, None])
            names.append(f"{c}:欠測")
    if not parts:
        return np.zeros((len(table), 0)), []
    return np.column_stack(parts), names


@dataclass(frozen=True)
class FactorResult:
    factor: str
    label: str
    n: int
    single: Estimate
    adjusted: Estimate
    controls_selected: tuple[str, ...]
    unit: str  # what one unit of the factor is


@dataclass(frozen=True)
class FactorReport:
    school_year: int
    outcome: str
    n: int
    results: tuple[FactorResult, ...]
    caution: str = CAUTION


def factor_analysis(
    table: pd.DataFrame,
    *,
    school_year: int,
    controls: Sequence[str] = ("grade", "school_code"),
    factors: Sequence[str] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> FactorReport:
    """Single and double-lasso estimates of each factor on the absence rate (%).

    Survey factors are scaled to 10 percentage points of positive answers, academic level to
    one level. Rows missing the factor are left out of that factor's estimates.
    """
    steps = Steps(progress, cancel)
    factors = list(factors) if factors is not None else factor_columns(table)
    # One BLAS thread: the lassos and regressions are many small products on a tall, narrow
    # matrix, where waking and spinning a second thread costs more than it gives; on the two
    # cores of an office PC the full city's analysis took 5–7 s with two threads and 0.4 s
    # with one, and the spinning thread kept the store's searches off the cores meanwhile.
    with threadpool_limits(limits=THREADS):
        results = _estimates(table, factors, controls, steps)
    steps.report(1.0)
    return FactorReport(school_year, "欠席率（%）", len(table), tuple(results))


def _estimates(table: pd.DataFrame, factors: Sequence[str], controls: Sequence[str],
               steps: Steps) -> list[FactorResult]:
    results: list[FactorResult] = []
    for i, f in enumerate(factors):
        steps.report(i / max(len(factors), 1))
        rows = table[table[f].notna()]
        if len(rows) < 30:
            continue
        survey_factor = f.startswith("survey:")
        unit = "10ポイント" if survey_factor else "1レベル"
        y = rows["absence_rate"].to_numpy(dtype=np.float64)
        # A share 0..1 in units of 10 percentage points; academic level as it is.
        d = rows[f].to_numpy(dtype=np.float64) * (10.0 if survey_factor else 1.0)
        others = [c for c in factors if c != f]
        w, names = _design(rows, [*others, *controls])
        single = single_regression(y, d)
        adjusted = double_lasso(y, d, w)
        results.append(FactorResult(f, factor_label(f), len(rows), single, adjusted,
                                    tuple(names[j] for j in adjusted.selected), unit))
    return results


def describe(result: FactorResult) -> str:
    """One plain-Japanese sentence per factor."""
    a = result.adjusted
    direction = "高い" if a.coef > 0 else "低い"
    sure = a.lo > 0 or a.hi < 0
    effect = f"{abs(a.coef):.2f}ポイント"
    text = (f"{result.label}が{result.unit}高いと、ほかの要因を調整したうえで欠席率が"
            f"平均 {effect}{direction}傾向（95%区間 {a.lo:+.2f}〜{a.hi:+.2f}）")
    return text + ("。" if sure else "。ただし区間が0をまたぐため、関連ははっきりしません。")


def to_jsonable(report: FactorReport) -> dict[str, Any]:
    def est(e: Estimate) -> dict[str, float]:
        return {"coef": e.coef, "se": e.se, "lo": e.lo, "hi": e.hi, "n": e.n}

    return {
        "school_year": report.school_year,
        "outcome": report.outcome,
        "n": report.n,
        "caution": report.caution,
        "results": [
            {"factor": r.factor, "label": r.label, "unit": r.unit, "n": r.n,
             "single": est(r.single), "adjusted": est(r.adjusted),
             "controls_selected": list(r.controls_selected), "text": describe(r)}
            for r in report.results
        ],
    }


def from_jsonable(data: dict[str, Any]) -> FactorReport:
    """A report from :func:`to_jsonable`'s form (a kept report). The controls each estimate
    kept are there by name (``controls_selected``); their column indexes are not kept."""
    def est(e: dict[str, Any]) -> Estimate:
        return Estimate(float(e["coef"]), float(e["se"]), float(e["lo"]), float(e["hi"]),
                        int(e["n"]))

    return FactorReport(
        school_year=int(data["school_year"]),
        outcome=str(data["outcome"]),
        n=int(data["n"]),
        results=tuple(
            FactorResult(str(r["factor"]), str(r["label"]), int(r["n"]), est(r["single"]),
                         est(r["adjusted"]), tuple(str(c) for c in r["controls_selected"]),
                         str(r["unit"]))
            for r in data["results"]),
        caution=str(data["caution"]),
    )
