"""Who becomes 不登校 when, and the labels: a new 不登校 onset within the next h months.

The event is a *不登校 onset*, not any long absence: in Japan about a fifth of long-absent
pupils are absent through illness and some for other reasons (MEXT 令和5年度: of 493,440
long-absent pupils 70 % 不登校, 21 % illness, 8 % other). A pupil is counted as 不登校 in a
school year from the first month in which

- the long-absence survey (長期欠席調査) reports 不登校 (the reason, where the survey gives
  it), or
- the absences of the school year *other than* 病気欠席 and 出席停止・忌引 (出欠状況:
  欠席日数 − 病気 − 出席停止・忌引) reach 30 days — unless the survey rows of that pupil and
  year give a reason and it is not 不登校 (a survey row with 不登校 = 0 is never an onset,
  however many days it counts).

The status holds for the rest of the school year and starts afresh in April.

The label of pupil i at the end of month t for horizon h is 1 when the pupil is not 不登校
at t and becomes so in one of the months t+1 … t+h (an April report counts for March). A
row is *observed* for horizon h when the pupil has an attendance row in month t+1 and month
t+h lies within the data; unobserved rows (leavers, the last months of the data) take no part
in training or evaluation. Labels look ahead by design (the survey of the year may be filed
after the month); features never do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.risk.panel import (
    LONG_ABSENCE_DAYS,
    BoolArray,
    FloatArray,
    Panel,
    year_cummax,
    year_cumsum,
)

HORIZONS = (1, 3)


@dataclass(frozen=True)
class Status:
    cum_absence: FloatArray  # (P, T) cumulative absence days in the school year (any reason)
    cum_nonsick: FloatArray  # (P, T) the same without 病気欠席 and 出席停止・忌引
    truant: BoolArray  # (P, T) 不登校 at the end of month t (the target's status)
    event: BoolArray  # (P, T) the 不登校 status begins in month t


def nonsick_days(panel: Panel) -> FloatArray:
    """Absence days other than 病気欠席 and 出席停止・忌引 per pupil and month (NaN where
    the pupil has no row; never below 0 — a sum of categories above 欠席日数 is a typo)."""
    v = panel.values
    sick = np.nan_to_num(v["sick_days"], nan=0.0)
    suspended = np.nan_to_num(v["suspension_days"], nan=0.0)
    out = np.maximum(v["absence_days"] - sick - suspended, 0.0)
    return np.asarray(out, dtype=np.float64)


def _survey_flags(panel: Panel, long_absence: pd.DataFrame | None) -> tuple[BoolArray, BoolArray]:
    """(reported 不登校 at month t, pupil-years whose survey rows all say 不登校 = 0)."""
    reported = np.zeros(panel.enrolled.shape, dtype=bool)
    not_truant = np.zeros(panel.enrolled.shape, dtype=bool)
    if long_absence is None or long_absence.empty:
        return reported, not_truant
    truancy = pd.to_numeric(long_absence["truancy"], errors="coerce").to_numpy(dtype=np.float64)
    r = panel.row_index(long_absence["pupil_id"].to_numpy(dtype=np.int64))
    t = panel.month_columns(long_absence["school_year"].to_numpy(),
                            long_absence["month"].to_numpy())
    ok = (r >= 0) & (t >= 0) & (t < panel.n_months) & ~np.isnan(truancy)
    yes = ok & (truancy > 0)
    reported[r[yes], t[yes]] = True
    p, years = len(panel.pupil_ids), panel.n_years
    said_no = np.zeros((p, years), dtype=bool)
    no = ok & (truancy <= 0)
    said_no[r[no], t[no] // 12] = True
    said_yes = reported.reshape(p, years, 12).any(axis=2)
    not_truant = np.repeat(said_no & ~said_yes, 12, axis=1)
    return reported, not_truant


def truancy_status(panel: Panel, long_absence: pd.DataFrame | None) -> Status:
    """The 不登校 status of every pupil and month (see the module docstring)."""
    cum = year_cumsum(panel.values["absence_days"])
    cum_nonsick = year_cumsum(nonsick_days(panel))
    reported, not_truant = _survey_flags(panel, long_absence)
    counted = (cum_nonsick >= LONG_ABSENCE_DAYS) & panel.enrolled & ~not_truant
    status = year_cummax(reported | counted)
    before = np.zeros_like(status)
    before[:, 1:] = status[:, :-1]
    before[:, ::12] = False  # a new school year starts without the status
    event = status & ~before
    return Status(cum_absence=cum, cum_nonsick=cum_nonsick, truant=status, event=event)



def horizon_labels(panel: Panel, status: Status, h: int) -> tuple[BoolArray, BoolArray]:
    """(label, observed) arrays (P, T) for horizon ``h``."""
    p, t_all = status.event.shape
    label = np.zeros((p, t_all), dtype=bool)
    for k in range(1, h + 1):
        label[:, : t_all - k] |= status.event[:, k:]
    observed = np.zeros((p, t_all), dtype=bool)
    observed[:, : t_all - 1] = panel.enrolled[:, 1:]
    if h > 1:
        observed[:, t_all - h :] = False
    observed &= panel.enrolled & ~status.truant
    return label & observed, observed
