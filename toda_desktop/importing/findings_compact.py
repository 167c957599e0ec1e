"""Findings held compact: each text column a categorical over its distinct texts.

A file sent back wrong on every row (700,000 attendance rows with a bad value or an unknown
pupil) has a finding a row. Held as :func:`analysis.common.issues_frame` builds them, each
finding would cost a pointer a column plus its own value and reason strings: about a
kilobyte a finding with the report's lines. Here every text column (``file``,
``column_key``, ``column``, ``value``, ``reason``, ``severity``, ``code``) is a categorical
over its distinct texts, shared by all findings saying the same, so a finding costs about a
byte a column plus its row number (a nullable 32-bit integer). The frame keeps the columns
and the meaning of an issues table (missing texts read as missing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import empty_issues


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


def ordered_join(parts: Sequence[tuple[int, pd.DataFrame]]) -> pd.DataFrame:
    """Compact parts (each with the step that found it) in one table in the report's order:
    file-level findings first, then by row, then by step, then as they came (stable)."""
    frames = [(step, compact_issues(f)) for step, f in parts if len(f)]
    if not frames:
        return compact_issues(empty_issues())
    rows = np.concatenate([f["row"].to_numpy(dtype=np.int64, na_value=0) for _, f in frames])
    missing = np.concatenate([f["row"].isna().to_numpy() for _, f in frames])
    steps = np.concatenate([np.full(len(f), step, dtype=np.int16) for step, f in frames])
    key = np.where(missing, np.iinfo(np.int64).min, rows)
    order: npt.NDArray[np.intp] | slice = slice(None)
    if len(key) > 1 and bool(((key[1:] < key[:-1])
                              | ((key[1:] == key[:-1]) & (steps[1:] < steps[:-1]))).any()):
        order = np.lexsort((steps, key))  # stable: equal keys keep their order
    del key, steps
    data: dict[str, Any] = {"row": pd.arrays.IntegerArray(
        rows[order].astype(np.int32), missing[order])}
    del rows, missing
    columns = frames[0][1].columns
    for col in columns:
        if col == "row":
            continue
        pieces = [f[col].array for _, f in frames]
        texts = pd.Index(list(dict.fromkeys(
            v for piece in pieces for v in piece.categories.tolist())), dtype=object)
        codes = np.concatenate([_recode(piece, texts) for piece in pieces])
        data[col] = pd.Categorical.from_codes(codes[order], categories=texts)
    return pd.DataFrame(data, columns=columns, index=pd.RangeIndex(len(data["row"])),
                        copy=False)


__all__ = ["compact_issues", "constant_column", "join_issues", "ordered_join", "text_or_blank"]
