"""The 要因分析's table of one school year, from the store's per-pupil reduction.

The store sums and averages the year's rows per pupil (``storage.repos.factor_inputs``), so
only a few small frames are built here in Python: the interpreter's lock that building
holds is the time a search on another thread waits while the analysis runs (issue 11).
The table equals what :func:`analysis.factors.pupil_year_table` makes of the panel's rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.factors import year_table
from storage.repos.factor_inputs import Row, YearInputs

ENROLLMENT_COLUMNS = ("pupil_id", "grade", "school_code", "special_needs_class",
                      "japanese_support")


def _frame(rows: list[Row], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def adjustments(enrollments: pd.DataFrame, pupils: pd.DataFrame | None) -> pd.DataFrame:
    """The adjustment attributes per pupil of the year's ``enrollments`` (the last row of a
    pupil counts): special needs class, Japanese support, and sex as 女=1 when ``pupils``
    (pupil_id, sex) is given."""
    enr = enrollments.drop_duplicates("pupil_id", keep="last")
    out = pd.DataFrame({"pupil_id": enr["pupil_id"].to_numpy(dtype=np.int64)})
    for column in ("special_needs_class", "japanese_support"):
        if column in enr.columns:
            out[column] = pd.to_numeric(enr[column], errors="coerce").to_numpy()
    if pupils is not None:
        sex = pupils.set_index("pupil_id")["sex"]
        out["female"] = out["pupil_id"].map(sex).eq("女").astype(np.float64).to_numpy()
    return out


def factor_table(inputs: YearInputs) -> tuple[pd.DataFrame, list[str]]:
    """The year's table for :func:`analysis.factors.factor_analysis` and its controls
    (grade, school and the adjustment attributes)."""
    sums = _frame(inputs.attendance, ("pupil_id", "absence_days", "school_days")).set_index(
        "pupil_id")
    enrollments = _frame(inputs.enrollments or [], ENROLLMENT_COLUMNS)
    shares = levels = None
    if inputs.survey:
        shares = _frame(inputs.survey, ("pupil_id", "domain", "positive_share")).set_index(
            ["pupil_id", "domain"])["positive_share"]
    if inputs.academic:
        levels = _frame(inputs.academic, ("pupil_id", "level")).set_index("pupil_id")["level"]
    pupils = None if inputs.sexes is None else _frame(inputs.sexes, ("pupil_id", "sex"))
    adjust = adjustments(enrollments, pupils)
    table = year_table(sums, enrollments, shares, levels, adjust)
    controls = ["grade", "school_code", *[c for c in adjust.columns if c != "pupil_id"]]
    return table, controls
