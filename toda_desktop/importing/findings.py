"""An import's findings held compact, and its validation report written a slice at a time.

A file sent back wrong on every row (700,000 attendance rows with a bad value or an unknown
pupil) has a finding a row. Held as :func:`analysis.common.issues_frame` builds them, each
finding would cost a pointer a column plus its own value and reason strings, and the report
a dict and a list a finding on top: about a kilobyte a finding. Here every text column
(``file``, ``column_key``, ``column``, ``value``, ``reason``, ``severity``, ``code``) is a
categorical over its distinct texts, shared by all findings saying the same, so a finding
costs about a byte a column plus its row number (a nullable integer). The frame keeps the
columns and the meaning of an issues table (missing texts read as missing), and the report's
lines are built from it on demand, a slice of rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import empty_issues

REPORT_SLICE = 50_000  # findings turned into report lines at a time
SEVERITY_LABELS = {"error": "エラー", "warning": "注意", "note": "参考"}


def compact_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """``issues`` with each text column a categorical and the row a nullable integer (a
    table already compact is given back as it is, a column already compact is not copied)."""
    if all(isinstance(t, pd.CategoricalDtype) or (c == "row" and t == "Int64")
           for c, t in issues.dtypes.items()):
        return issues
    data: dict[str, Any] = {}
    for col in issues.columns:
        values = issues[col]
        if col == "row":
            data[col] = values.array if values.dtype == "Int64" else pd.array(
                values.to_numpy(dtype=object), dtype="Int64")
        elif isinstance(values.dtype, pd.CategoricalDtype):
            data[col] = values.array
        else:
            data[col] = _categorical(values.to_numpy(dtype=object))
    return pd.DataFrame(data, columns=issues.columns, index=pd.RangeIndex(len(issues)),
                        copy=False)


def constant_column(value: str, n: int) -> pd.Categorical:
    """A text the same on every one of ``n`` findings (the file's name): a byte each."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8),
                                     categories=pd.Index([value], dtype=object))


def join_issues(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """All findings in one compact table, ordered by row (file-level ones first), as
    :func:`analysis.common.concat_issues` orders them. The parts' codes are translated to
    the union of their texts in the codes' own small type, never the texts themselves
    copied a finding at a time (what a join adds is about 20 bytes a finding)."""
    parts = [compact_issues(f) for f in frames if len(f)]
    if not parts:
        return compact_issues(empty_issues())
    numbers = np.concatenate([p["row"].to_numpy(dtype=np.int64, na_value=0) for p in parts])
    missing = np.concatenate([p["row"].isna().to_numpy() for p in parts])
    order: npt.NDArray[np.intp] | slice = slice(None)
    if len(numbers) > 1 and bool((numbers[1:] < numbers[:-1]).any()):
        order = np.argsort(numbers, kind="stable")
    data: dict[str, Any] = {"row": pd.arrays.IntegerArray(numbers[order], missing[order])}
    del numbers, missing
    for col in parts[0].columns:
        if col == "row":
            continue
        pieces = [p[col].array for p in parts]
        texts = pd.Index(list(dict.fromkeys(
            v for piece in pieces for v in piece.categories.tolist())), dtype=object)
        codes = np.concatenate([_recode(piece, texts) for piece in pieces])
        data[col] = pd.Categorical.from_codes(codes[order], categories=texts)
    return pd.DataFrame(data, columns=parts[0].columns, index=pd.RangeIndex(len(data["row"])),
                        copy=False)


def text_or_blank(values: pd.Series) -> pd.Series:
    """A text column with its missing texts as "" (a categorical stays a categorical)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        if "" not in values.cat.categories:
            values = values.cat.add_categories([""])
        return values.fillna("")
    return values.fillna("").astype(str)


def report_lines(issues: pd.DataFrame) -> Iterator[list[object]]:
    """The validation report's lines (ファイル, 行, 列, 値, 理由, 重要度), file-level findings
    first, then by row (stable), built ``REPORT_SLICE`` findings at a time."""
    rows = issues["row"].to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(rows)
    order = np.argsort(np.where(missing, -np.inf, rows), kind="stable")
    texts = {col: _texts(issues[col]) for col in
             ("file", "column", "value", "reason", "severity")}
    for a in range(0, len(order), REPORT_SLICE):
        at = order[a:a + REPORT_SLICE]
        file, column, value, reason, severity = (texts[c](at) for c in
                                                 ("file", "column", "value", "reason",
                                                  "severity"))
        numbers = ["" if missing[i] else int(rows[i]) for i in at.tolist()]
        for f, r, c, v, why, sev in zip(file, numbers, column, value, reason, severity,
                                        strict=True):
            yield [f, r, c, v, why, SEVERITY_LABELS.get(sev, sev)]


def _texts(values: pd.Series) -> Any:
    """A function giving the column's texts at some positions ("" where missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        words = [str(v) for v in values.cat.categories] + [""]  # code -1: missing
        return lambda at: [words[c] for c in codes[at].tolist()]
    plain = values.to_numpy(dtype=object)
    return lambda at: ["" if _missing(v) else str(v) for v in plain[at]]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _categorical(values: npt.NDArray[np.object_]) -> pd.Categorical:
    """Codes into the distinct texts (None and NaN missing), with object categories so that
    every part of a join shares one kind of category."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(uniques), dtype=object))


def _recode(piece: pd.Categorical, texts: pd.Index) -> npt.NDArray[Any]:
    """``piece``'s codes as codes into ``texts`` (which holds all its categories), in the
    smallest type that holds them (a byte while there are fewer than 128 texts)."""
    kind = np.int8 if len(texts) < 2**7 else np.int16 if len(texts) < 2**15 else np.int32
    mapping = texts.get_indexer(pd.Index(piece.categories.tolist(), dtype=object))
    # The last entry answers code -1 (missing): missing stays missing.
    lookup = np.append(mapping, -1).astype(kind)
    return lookup[np.asarray(piece.codes)]


__all__ = ["REPORT_SLICE", "SEVERITY_LABELS", "compact_issues", "constant_column",
           "join_issues", "report_lines", "text_or_blank"]
