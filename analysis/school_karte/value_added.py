"""Growth (value-added) per school: empirical-Bayes shrinkage in closed form (issue 15).

Each pupil's growth is this year's 県学調 level (mean over subjects) minus last year's, for the
same pupil. The model, with j a school and i a pupil:

    growth_ij = grade effect + beta * prior_ij + gamma' z_j + u_j + e_ij,
    u_j ~ N(0, tau^2),  e_ij ~ N(0, sigma^2)

where z_j holds the school's 就学援助率, 特別支援率 and 日本語指導率 and u_j is the school's
effect. Steps: beta and the grade effects come from the within-school regression (school
dummies absorbed, so they are not biased by the school effects); each school's mean adjusted
growth d_j has sampling variance sigma^2 / n_j; a weighted meta-regression of d_j on z_j gives
gamma, and tau^2 comes from the method of moments (DerSimonian–Laird with covariates). The
effect is the shrunken residual lambda_j (d_j - z_j gamma) with 1 - lambda_j = B_j =
(J-p-2)/(J-p) * v_j / (v_j + tau^2), v_j = sigma^2 / n_j (Morris's correction for a tau^2
estimated from J schools and p coefficients); its variance is lambda_j v_j + lambda_j^2
z_j' Var(gamma) z_j + 2/(J-p-2) B_j^2 (d_j - z_j gamma)^2: the sampling error, the error of
the covariates' prediction (the effect is the school's distance from it), and the
uncertainty of the shrinkage itself. Eighteen schools are too few groups for a stable
mixed model, which is why this closed form leads and statsmodels' MixedLM only cross-checks.

Results come in school-code order; nothing here sorts by an estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.school_karte.intervals import Z95, Interval

Z998 = 3.090232306167813  # two-sided 99.8%
MIN_SCHOOL_PUPILS = 10  # a school with fewer pupils with growth gets no estimate
COVARIATES = ("welfare_rate", "special_needs_rate", "japanese_support_rate")
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SchoolEffect:
    school_code: str
    n: int  # pupils with a level both years
    raw: float  # mean adjusted growth minus the covariates' prediction (levels)
    effect: float  # shrunken (empirical Bayes) effect, levels
    interval: Interval  # 95%
    shrinkage: float  # lambda: 1 = own data only, 0 = the prediction only
    mean_level: float  # mean level this year minus the city's same grade (the quadrant's x)
    grew_share: float  # percent of pupils whose level rose (the quadrant's y)


@dataclass(frozen=True)
class FunnelPoint:
    n: float
    low95: float
    high95: float
    low998: float
    high998: float


@dataclass(frozen=True)
class ValueAdded:
    effects: tuple[SchoolEffect, ...]  # school-code order
    beta_prior: float
    gamma: tuple[float, ...]  # per COVARIATES (levels per percentage point)
    sigma: float  # within-school residual sd
    tau: float  # sd of school effects
    funnel: tuple[FunnelPoint, ...]  # limits around 0 over the schools' range of n
    pupils: int
    city_grew_share: float
    warnings: tuple[str, ...]  # from the MixedLM cross-check (Japanese, for staff)


def _absorb(x: FloatArray, groups: npt.NDArray[np.int64], n_groups: int) -> FloatArray:
    """Columns of ``x`` minus their group means."""
    counts = np.bincount(groups, minlength=n_groups).astype(np.float64)
    out = np.empty_like(x)
    for k in range(x.shape[1]):
        means = np.bincount(groups, weights=x[:, k], minlength=n_groups) / np.maximum(counts, 1)
        out[:, k] = x[:, k] - means[groups]
    return out


def estimate(pupils: pd.DataFrame, schools: pd.DataFrame, *, cross_check: bool = True
             ) -> ValueAdded:
    """``pupils``: one row per pupil with school_code, grade, prior, current (levels).
    ``schools``: school_code and the COVARIATES (percent). Schools without covariates or with
    fewer than ``MIN_SCHOOL_PUPILS`` pupils are left out."""
    data = pupils.dropna(subset=["prior", "current"]).merge(
        schools[["school_code", *COVARIATES]].dropna(), on="school_code", how="inner")
    sizes = data.groupby("school_code")["prior"].transform("size")
    data = data[sizes >= MIN_SCHOOL_PUPILS].reset_index(drop=True)
    codes = sorted(data["school_code"].astype(str).unique())
    if len(codes) < len(COVARIATES) + 3:
        return ValueAdded((), math.nan, (), math.nan, math.nan, (), len(data), math.nan,
                          ("成長の推定には学校数が足りません。",))
    school_idx = data["school_code"].map({c: i for i, c in enumerate(codes)}).to_numpy(np.int64)
    J = len(codes)
    growth = (data["current"] - data["prior"]).to_numpy(np.float64)
    grades = sorted(int(g) for g in data["grade"].unique())
    grade_dummies = np.column_stack(
        [(data["grade"].to_numpy() == g).astype(np.float64) for g in grades[1:]]
    ) if len(grades) > 1 else np.zeros((len(data), 0))
    prior = data["prior"].to_numpy(np.float64)
    x = np.column_stack([prior, grade_dummies])
    # Within-school regression: slope of prior level and grade effects.
    xw = _absorb(x, school_idx, J)
    yw = _absorb(growth[:, None], school_idx, J)[:, 0]
    coef, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    resid_w = yw - xw @ coef
    n = len(data)
    sigma2 = float(resid_w @ resid_w) / max(n - J - x.shape[1], 1)
    adjusted = growth - x @ coef
    n_j = np.bincount(school_idx, minlength=J).astype(np.float64)
    d = np.bincount(school_idx, weights=adjusted, minlength=J) / n_j
    v = sigma2 / n_j
    z_tab = schools.set_index("school_code").loc[codes, list(COVARIATES)].to_numpy(np.float64)
    Z = np.column_stack([np.ones(J), z_tab])
    p = Z.shape[1]
    # Method-of-moments tau^2 with covariates (fixed-effect weights first).
    w = 1 / v
    zwz_inv = np.linalg.pinv(Z.T @ (Z * w[:, None]))
    g_fe = zwz_inv @ (Z.T @ (w * d))
    q = float(np.sum(w * (d - Z @ g_fe) ** 2))
    trace = float(np.sum(w) - np.trace(zwz_inv @ (Z.T @ (Z * (w ** 2)[:, None]))))
    tau2 = max(0.0, (q - (J - p)) / trace) if trace > 0 else 0.0
    w_re = 1 / (v + tau2)
    var_gamma = np.linalg.pinv(Z.T @ (Z * w_re[:, None]))
    gamma = var_gamma @ (Z.T @ (w_re * d))
    raw = d - Z @ gamma
    # Morris's corrections for a tau^2 estimated from few schools: slightly less shrinkage,
    # and a term for the uncertainty of the shrinkage itself.
    dof = J - p
    shrink = np.clip((dof - 2) / dof * v / (v + tau2), 0.0, 1.0)
    lam = 1.0 - shrink
    effect = lam * raw
    lever = np.einsum("ij,jk,ik->i", Z, var_gamma, Z)
    post_var = lam * v + lam ** 2 * lever + 2.0 / max(dof - 2, 1) * shrink ** 2 * raw ** 2
    half = Z95 * np.sqrt(post_var)
    # The Saitama quadrant: level against the city's same grade; share of pupils who rose.
    grade_mean = data.groupby("grade")["current"].transform("mean").to_numpy(np.float64)
    level_dev = np.bincount(school_idx, weights=data["current"].to_numpy(np.float64)
                            - grade_mean, minlength=J) / n_j
    grew = (growth > 0).astype(np.float64)
    grew_share = 100 * np.bincount(school_idx, weights=grew, minlength=J) / n_j
    effects = tuple(
        SchoolEffect(
            school_code=codes[j], n=int(n_j[j]), raw=float(raw[j]), effect=float(effect[j]),
            interval=Interval(float(effect[j] - half[j]), float(effect[j] + half[j])),
            shrinkage=float(lam[j]), mean_level=float(level_dev[j]),
            grew_share=float(grew_share[j]),
        )
        for j in range(J)
    )
    sigma = math.sqrt(sigma2)
    lo, hi = float(n_j.min()), float(n_j.max())
    funnel = tuple(
        FunnelPoint(float(m), -Z95 * sigma / math.sqrt(m), Z95 * sigma / math.sqrt(m),
                    -Z998 * sigma / math.sqrt(m), Z998 * sigma / math.sqrt(m))
        for m in np.linspace(max(lo * 0.8, 2.0), hi * 1.2, 40)
    )
    notes: tuple[str, ...] = ()
    if cross_check:
        notes = mixed_model_check(data, codes, effects)
    return ValueAdded(
        effects=effects, beta_prior=float(coef[0]), gamma=tuple(float(g) for g in gamma[1:]),
        sigma=sigma, tau=math.sqrt(tau2), funnel=funnel, pupils=n,
        city_grew_share=float(100 * grew.mean()), warnings=notes,
    )


DISAGREE_CORRELATION = 0.9  # the two estimates should order the schools alike
DISAGREE_LEVELS = 0.15  # … and differ by less than this many levels at any school


def mixed_model_check(data: pd.DataFrame, codes: Sequence[str],
                      effects: Sequence[SchoolEffect]) -> tuple[str, ...]:
    """statsmodels' MixedLM on the same model; warnings (Japanese) when it does not converge
    or its school effects disagree with the closed form."""
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    frame = data.assign(growth=data["current"] - data["prior"])
    grades = sorted(int(g) for g in frame["grade"].unique())
    cols = [np.ones(len(frame)), frame["prior"].to_numpy(np.float64)]
    cols += [(frame["grade"].to_numpy() == g).astype(np.float64) for g in grades[1:]]
    cols += [frame[c].to_numpy(np.float64) for c in COVARIATES]
    exog = np.column_stack(cols)
    out: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = MixedLM(frame["growth"].to_numpy(np.float64), exog,
                          groups=frame["school_code"].astype(str).to_numpy()).fit(reml=True)
        except (np.linalg.LinAlgError, ValueError):
            return ("確認用の混合モデル（statsmodels MixedLM）を推定できませんでした。"
                    "学校数が少ないためと考えられます。",)
    converged = bool(getattr(fit, "converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    if not converged:
        out.append("確認用の混合モデル（statsmodels MixedLM）が収束しませんでした。"
                   "学校の効果の推定は閉じた形の経験ベイズ推定だけによります。")
    try:
        blups = fit.random_effects
    except (np.linalg.LinAlgError, ValueError):  # a school variance estimated at 0
        out.append("確認用の混合モデル（statsmodels MixedLM）では学校間の差が0と推定され、"
                   "学校の効果を比べられませんでした。")
        return tuple(out)
    mixed = np.asarray([float(np.asarray(blups[c])[0]) if c in blups else math.nan
                        for c in codes])
    ours = np.asarray([e.effect for e in effects])
    ok = np.isfinite(mixed)
    if ok.sum() >= 3:
        spread = float(np.std(ours[ok])) + float(np.std(mixed[ok]))
        corr = float(np.corrcoef(ours[ok], mixed[ok])[0, 1]) if spread > 1e-9 else 1.0
        worst = float(np.max(np.abs(ours[ok] - mixed[ok])))
        if corr < DISAGREE_CORRELATION or worst > DISAGREE_LEVELS:
            out.append(f"確認用の混合モデルと学校の効果の推定が一致しません（相関 {corr:.2f}、"
                       f"最大の差 {worst:.2f} レベル）。結果は慎重に読んでください。")
    return tuple(out)
