"""Who is long-absent when, and the labels: newly long-absent within the next h months.

A pupil is *long-absent in a school year* from the first month in which the cumulative
absences of that year reach 30 days (出欠状況) or the long-absence survey (長期欠席調査)
reports them with 30+ days or as 不登校. The status holds for the rest of the school year and
starts afresh in April.

The label of pupil i at the end of month t for horizon h is 1 when the pupil is not
long-absent at t and becomes so in one of the months t+1 … t+h (the status may begin in a
new school year: an April 不登校 report counts). A row is *observed* for horizon h when the
pupil has an attendance row in month t+1 and month t+h lies within the data; unobserved rows
(leavers, the last months of the data) take no part in training or evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.risk.panel import (
    LONG_ABSENCE_DAYS,
    BoolArray,
    Panel,
    year_cummax,
    year_cumsum,
)

HORIZONS = (1, 3)


@dataclass(frozen=True)
class Status:
    cum_absence: np.ndarray  # (P, T) cumulative absence days in the school year
    long_absent: BoolArray  # (P, T) status at the end of month t
    event: BoolArray  # (P, T) the status begins in month t


def long_absence_status(panel: Panel, long_absence: pd.DataFrame | None) -> Status:
    cum = year_cumsum(panel.values["absence_days"])
    reached = (cum >= LONG_ABSENCE_DAYS) & panel.enrolled
    reported = np.zeros_like(reached)
    if long_absence is not None and not long_absence.empty:
        days = pd.to_numeric(long_absence["absence_days"], errors="coerce").fillna(0)
        truancy = pd.to_numeric(long_absence["truancy"], errors="coerce").fillna(0)
        rows = long_absence[(days >= LONG_ABSENCE_DAYS) | (truancy > 0)]
        r = panel.row_index(rows["pupil_id"].to_numpy(dtype=np.int64))
        t = panel.month_columns(rows["school_year"].to_numpy(), rows["month"].to_numpy())
        ok = (r >= 0) & (t >= 0) & (t < panel.n_months)
        reported[r[ok], t[ok]] = True
    status = year_cummax(reached | reported)
    before = np.zeros_like(status)
    before[:, 1:] = status[:, :-1]
    before[:, ::12] = False  # a new school year starts without the status
    event = status & ~before
    return Status(cum_absence=cum, long_absent=status, event=event)


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
    observed &= panel.enrolled & ~status.long_absent
    return label & observed, observed
