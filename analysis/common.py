"""Shared plumbing of the analysis package: progress and cancel, issue tables, per-value maps.

Long functions take ``progress`` (called with a fraction 0..1) and ``cancel`` (polled; when it
answers True the function raises :class:`Cancelled`). Neither may be required: both default
to None.

Row-level findings (validation, reading, linkage) are returned as a DataFrame with the columns
of :data:`ISSUE_COLUMNS`, so that 700,000-row files with many findings stay cheap to build,
count and export. ``row`` is the row number as a person sees it in Excel (header = row 1, or
the header's own row when title rows precede it); it is missing for file- or column-level
findings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from kernel.progress import CancelFlag, Progress

# The analysis package's names for the kernel's progress and cancel callables (one type).
ProgressFn = Progress
CancelFn = CancelFlag

ISSUE_COLUMNS = ("row", "column_key", "column", "value", "reason", "severity", "code")
SEVERITIES = ("error", "warning", "note")
# Values longer than this are cut in reports (the full value stays in the file).
REPORT_VALUE_CHARS = 100

T = TypeVar("T")


class NotEnoughData(ValueError):
    """The data cannot support the analysis; the message is Japanese and safe to show."""


class Cancelled(Exception):
    """The caller's cancel flag was raised; the function stopped without a result."""


@dataclass(frozen=True)
class Steps:
    """Progress of one long function, optionally a slice [start, start+span] of a larger one."""

    progress: ProgressFn | None = None
    cancel: CancelFn | None = None
    start: float = 0.0
    span: float = 1.0

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled("処理を中止しました。")

    def report(self, fraction: float) -> None:
        self.check()
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, self.start + self.span * fraction)))

    def callback(self) -> ProgressFn | None:
        """This slice as a plain progress callback for a called function."""
        if self.progress is None:
            return None
        report = self.progress
        start, span = self.start, self.span
        return lambda f: report(min(1.0, max(0.0, start + span * f)))

    def part(self, begin: float, end: float) -> Steps:
        """The sub-range [begin, end] (fractions of this one) for a called function."""
        return Steps(
            self.progress, self.cancel, self.start + self.span * begin, self.span * (end - begin)
        )


def report_value(value: object) -> str:
    """A cell value as shown in a report: text, cut to a readable length."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if len(text) > REPORT_VALUE_CHARS:
        return text[:REPORT_VALUE_CHARS] + f"…（全{len(text):,}文字）"
    return text


def empty_issues() -> pd.DataFrame:
    return issues_frame([], None, None, [], "", "note", "")


def issues_frame(
    rows: Sequence[int | None] | npt.NDArray[Any] | pd.Index,
    column_key: str | None,
    column: str | None,
    values: Sequence[object] | npt.NDArray[Any] | pd.Series | str,
    reason: str | Sequence[str] | npt.NDArray[Any],
    severity: str,
    code: str,
) -> pd.DataFrame:
    """Issues of one kind for many rows; scalars are repeated, values are cut for reading."""
    n = len(rows)
    value_list = (
        [values] * n if isinstance(values, str) else [report_value(v) for v in values]
    )
    reasons = [reason] * n if isinstance(reason, str) else [str(r) for r in reason]
    assert severity in SEVERITIES
    return pd.DataFrame(
        {
            "row": pd.array(list(rows), dtype="Int64"),
            "column_key": pd.array([column_key] * n, dtype="object"),
            "column": pd.array([column] * n, dtype="object"),
            "value": pd.array(value_list, dtype="object"),
            "reason": pd.array(reasons, dtype="object"),
            "severity": pd.array([severity] * n, dtype="object"),
            "code": pd.array([code] * n, dtype="object"),
        },
        columns=list(ISSUE_COLUMNS),
    )


def concat_issues(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """All issues in one table, ordered by row (file-level ones first), then column."""
    parts = [f for f in frames if len(f)]
    if not parts:
        return empty_issues()
    out = pd.concat(parts, ignore_index=True)
    order = out["row"].fillna(0).to_numpy(dtype=np.int64)
    out = out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    return out


def map_unique(
    series: pd.Series, fn: Callable[[str], T]
) -> tuple[npt.NDArray[np.intp], list[T]]:
    """Apply ``fn`` once per distinct value: (codes per row, results per distinct value).

    Most columns of school files repeat few values (months, grades, dates, codes), so this
    keeps the Python work proportional to the distinct values, not to the rows. Missing
    values are given to ``fn`` as "".
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = [fn(str(u)) for u in uniques]
    if (codes < 0).any():
        codes = codes.copy()
        codes[codes < 0] = len(results)
        results.append(fn(""))
    return codes, results


def unique_map(series: pd.Series, fn: Callable[[str], Hashable]) -> pd.Series:
    """``series`` mapped through ``fn`` once per distinct value (object dtype result)."""
    codes, results = map_unique(series, fn)
    table = np.empty(len(results), dtype=object)
    table[:] = results
    return pd.Series(table[codes], index=series.index, dtype=object)
