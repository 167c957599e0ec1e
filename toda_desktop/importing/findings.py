"""An import's findings held compact, and its validation report written a slice at a time.

A file sent back wrong on every row (700,000 attendance rows with a bad value or an unknown
pupil) has a finding a row. Held as :func:`analysis.common.issues_frame` builds them, each
finding would cost a pointer a column plus its own value and reason strings, and the report
a dict and a list a finding on top: about a kilobyte a finding. Here every text column
(``file``, ``column_key``, ``column``, ``value``, ``reason``, ``severity``, ``code``) is a
categorical over its distinct texts, shared by all findings saying the same, so a finding
costs about a byte a column plus its row number (a nullable 32-bit integer). The frame keeps the
columns and the meaning of an issues table (missing texts read as missing), and the report's
lines are built from it on demand, a slice of rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import empty_issues

REPORT_SLICE = 50_000  # findings turned into report lines at a time
SEVERITY_LABELS = {"error": "エラー", "warning": "注意", "note": "参考"}


def compact_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """``issues`` with each text column a categorical and the row a nullable integer (a
    table already compact is given back as it is, a column already compact is not copied)."""
    if all(isinstance(t, pd.CategoricalDtype) or (c == "row" and t == "Int32")
           for c, t in issues.dtypes.items()):
        return issues
    data: dict[str, Any] = {}
    for col in issues.columns:
        values = issues[col]
        if col == "row":
            data[col] = _row_numbers(values)
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
    numbers = np.concatenate([p["row"].to_numpy(dtype=np.int32, na_value=0) for p in parts])
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


class ReportLines(Sequence[list[object]]):
    """The validation report's lines (ファイル, 行, 列, 値, 理由, 重要度), file-level findings
    first, then by row (stable), each built when asked for: the wizard's table shows a
    screenful of a million findings without a million lines in memory (17 bytes a finding:
    the order and the row numbers)."""

    def __init__(self, issues: pd.DataFrame) -> None:
        rows = issues["row"].to_numpy(dtype="float64", na_value=np.nan)
        self._missing = np.isnan(rows)
        self._order = np.argsort(np.where(self._missing, -np.inf, rows), kind="stable")
        self._rows = rows
        self._texts = {col: _texts(issues[col]) for col in
                       ("file", "column", "value", "reason", "severity")}

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> list[object]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[object]]: ...

    def __getitem__(self, index: int | slice) -> list[object] | list[list[object]]:
        if isinstance(index, slice):
            return self._lines(self._order[index])
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError(index)
        return self._lines(self._order[at:at + 1])[0]

    def __iter__(self) -> Iterator[list[object]]:
        for a in range(0, len(self), REPORT_SLICE):
            yield from self._lines(self._order[a:a + REPORT_SLICE])

    def severity(self, index: int) -> str:
        """The 重要度 of line ``index`` (as shown), without building the line."""
        word = str(self._texts["severity"](self._order[index:index + 1])[0])
        return SEVERITY_LABELS.get(word, word)

    def severity_counts(self) -> dict[str, int]:
        """How many lines each 重要度 (as shown) has."""
        words = self._texts["severity"](np.arange(len(self)))
        counts: dict[str, int] = {}
        for word, n in pd.Series(words, dtype=object).value_counts(sort=False).items():
            label = SEVERITY_LABELS.get(str(word), str(word))
            counts[label] = counts.get(label, 0) + int(n)
        return counts

    def _lines(self, at: npt.NDArray[np.intp]) -> list[list[object]]:
        file, column, value, reason, severity = (self._texts[c](at) for c in
                                                 ("file", "column", "value", "reason",
                                                  "severity"))
        numbers = ["" if self._missing[i] else int(self._rows[i]) for i in at.tolist()]
        return [[f, r, c, v, why, SEVERITY_LABELS.get(sev, sev)]
                for f, r, c, v, why, sev in zip(file, numbers, column, value, reason,
                                                severity, strict=True)]


def report_lines(issues: pd.DataFrame) -> Iterator[list[object]]:
    """The validation report's lines in order, built ``REPORT_SLICE`` findings at a time."""
    return iter(ReportLines(issues))


def _texts(values: pd.Series) -> Any:
    """A function giving the column's texts at some positions ("" where missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        words = [str(v) for v in values.cat.categories] + [""]  # code -1: missing
        return lambda at: [words[c] for c in codes[at].tolist()]
    plain = values.to_numpy(dtype=object)
    return lambda at: ["" if _missing(v) else str(v) for v in plain[at]]


def _row_numbers(values: pd.Series) -> pd.arrays.IntegerArray:
    """File row numbers in 32 bits (a file of 512 MB has fewer than 2**31 rows), missing for
    a finding about the whole file."""
    numbers = pd.array(values.to_numpy(dtype=object), dtype="Int64") if values.dtype not in (
        "Int64", "Int32") else values.array
    if len(numbers) and int(numbers.to_numpy(dtype=np.int64, na_value=0).max()) > np.iinfo(
            np.int32).max:
        raise ValueError("row number beyond 32 bits")
    return cast(pd.arrays.IntegerArray, numbers.astype("Int32"))


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


__all__ = ["REPORT_SLICE", "SEVERITY_LABELS", "ReportLines", "compact_issues", "constant_column",
           "join_issues", "report_lines", "text_or_blank"]
