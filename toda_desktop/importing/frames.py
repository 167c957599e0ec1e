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
    """Object columns of storage values; absent columns are all None."""
    out = {}
    for col in columns:
        if col not in frame.columns:
            out[col] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            converted = series.dt.strftime("%Y-%m-%d").astype(object)
        else:
            converted = series.astype(object).map(storage_value).astype(object)
        # pandas infers "string" after map and keeps NaN for missing: force None.
        out[col] = converted.where(series.notna().to_numpy(), None)
    return pd.DataFrame(out, index=frame.index, dtype=object)


def key_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One comparable text per row from storage values (the same conversion on both sides,
    so None, ints and floats compare as stored)."""
    if not len(frame):
        return pd.Series([], dtype=object, index=frame.index)
    parts = [frame[c].astype(object).fillna("\x00").astype(str) for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    return joined


def natural_key(kind: DatasetKind) -> list[str]:
    """The store's unique key (``DatasetKind.unique_key``): the one rule for "one record"."""
    return list(kind.unique_key)


def json_row(values: dict[str, Any]) -> dict[str, Any]:
    return {k: storage_value(v) for k, v in values.items()}
