"""Between the analysis frames (typed pandas columns) and the store (plain Python values).

Dates become ISO text, whole numbers int, booleans 0/1, missing stays None (never 0). The same
conversion is used for new rows and when comparing them with stored ones, so "identical" means
identical as stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from storage.registry import DatasetKind

_DIGITS = re.compile(r"\d+")


def source_key(file_name: str) -> str:
    """Files from one source differ by dates and numbers: 出欠_2024-05.csv ≈ 出欠_2024-06.csv."""
    stem = unicodedata.normalize("NFKC", file_name).rsplit(".", 1)[0].strip().lower()
    return _DIGITS.sub("#", stem)


def storage_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def storage_frame(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Object columns of storage values; absent columns are all None.

    Whole columns are converted at once by dtype (the analysis frames are typed); only object
    columns holding something other than text go through :func:`storage_value` cell by cell.
    """
    # Filled column by column into one block: a dict of columns would be copied into a
    # block by the DataFrame constructor (twice the memory at the peak).
    block = np.full((len(columns), len(frame)), None, dtype=object)
    for j, col in enumerate(columns):
        if col in frame.columns:
            block[j] = storage_array(frame[col])
    return pd.DataFrame(block.T, index=frame.index, columns=list(columns), dtype=object,
                        copy=False)


def storage_array(series: pd.Series) -> npt.NDArray[np.object_]:
    """One column as storage values (what :func:`storage_value` gives for each cell)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        table = np.empty(len(dtype.categories) + 1, dtype=object)
        table[:-1] = storage_array(pd.Series(dtype.categories))
        table[-1] = None
        return np.asarray(table[series.cat.codes.to_numpy()], dtype=object)
    if isinstance(dtype, pd.DatetimeTZDtype):
        local = series.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        local[series.isna().to_numpy()] = None
        return np.asarray(local, dtype=object)
    if pd.api.types.is_datetime64_dtype(dtype):
        return _iso_days(np.asarray(series.to_numpy()))
    if pd.api.types.is_bool_dtype(dtype):
        # True/False become 1/0 (Python ints); a masked "boolean" may hold missing.
        return _objects(series.astype("Int64"))
    if pd.api.types.is_integer_dtype(dtype):
        # One Python int per distinct value, shared by its rows (years and pupil ids repeat:
        # a new int object per cell would cost 32 bytes each).
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        table = np.empty(len(uniques) + 1, dtype=object)
        table[:-1] = np.asarray(uniques).astype(object)
        table[-1] = None
        return np.asarray(table[codes], dtype=object)
    if pd.api.types.is_float_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        return _objects(series)
    values = series.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        out = values.copy()
        out[pd.isna(values)] = None
        return out
    return np.fromiter((storage_value(v) for v in values), dtype=object, count=len(values))


def _objects(series: pd.Series) -> npt.NDArray[np.object_]:
    """Python scalars (int, float, str) with None for missing (also a NaN that pandas does
    not count as missing in a plain float64 column: isna() is True for it)."""
    values = np.array(series.to_numpy(dtype=object), dtype=np.object_)
    values[series.isna().to_numpy()] = None
    return values


def _iso_days(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.object_]:
    """datetime64 → "YYYY-MM-DD" text (the date part, as ``Timestamp.date()``), NaT → None."""
    missing = np.isnat(days)
    text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    text[missing] = None
    return np.asarray(text, dtype=object)


def key_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One comparable key per row from storage values: a 64-bit hash of the row's text (each
    value as ``str``, missing as "\\x00"), so None, ints and floats compare as stored.

    Keys are compared for equality only (``isin``, ``==``, lookups), so the text itself is
    never built: each column's distinct values are turned into text and hashed once, and the
    rows' hashes are combined. A false match needs ~4·10⁹ rows (as in find_duplicates).
    """
    if not len(frame):
        return pd.Series([], dtype=np.uint64, index=frame.index)
    combined = np.zeros(len(frame), dtype=np.uint64)
    for col in columns:
        combined = combined * np.uint64(1_000_003) ^ _text_hashes(frame[col])
    return pd.Series(combined, index=frame.index)


_MISSING_TEXT = "\x00"


def _text_hashes(series: pd.Series) -> npt.NDArray[np.uint64]:
    """Per row, the hash of ``str(value)`` ("\\x00" for missing)."""
    codes, texts = _text_codes(series)
    table = np.empty(len(texts) + 1, dtype=object)
    table[:-1] = texts
    table[-1] = _MISSING_TEXT
    hashes = pd.util.hash_array(table, categorize=False)
    return np.asarray(hashes[codes], dtype=np.uint64)  # code -1 → the missing text


def _text_codes(series: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """(code per row, text per code): ``str(value)``; missing values get code -1. Texts of
    different codes may be equal (1 and "1")."""
    values = series.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "integer", "boolean", "empty"):
        # Equal values of one of these types have equal text, so each distinct value is
        # turned into text once. (Mixed types are not: 1 == 1.0 == True as values.)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), [str(u) for u in uniques]
    missing = pd.isna(values)
    texts = np.array(["" if m else str(v) for v, m in zip(values, missing, strict=True)],
                     dtype=object)
    codes, uniques = pd.factorize(texts)
    codes = np.where(missing, -1, codes)
    return np.asarray(codes, dtype=np.intp), [str(u) for u in uniques]


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The values as text, missing kept missing: what ``frame.astype(str)`` holds, as
    categorical columns (one string per distinct value instead of one per cell; hashing and
    comparing them gives the same results)."""
    out = {}
    for col in frame.columns:
        codes, texts = _text_codes(frame[col])
        merged, uniques = pd.factorize(np.asarray(texts, dtype=object))
        table = np.append(merged, -1)  # code -1 (missing) stays -1
        out[col] = pd.Categorical.from_codes(table[codes],
                                             categories=pd.Index(uniques, dtype=object))
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def natural_key(kind: DatasetKind) -> list[str]:
    """The store's unique key (``DatasetKind.unique_key``): the one rule for "one record"."""
    return list(kind.unique_key)


def json_row(values: dict[str, Any]) -> dict[str, Any]:
    return {k: storage_value(v) for k, v in values.items()}
