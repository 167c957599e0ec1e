"""Typed pandas frames with exactly the registry's columns for each dataset kind.

Conventions (the same for every kind):

- columns: for the master ``students`` and the non-pupil kinds, the kind's stored columns;
  for every other pupil kind, ``address_code`` (the true pupil) followed by its stored columns;
- dates are ISO ``YYYY-MM-DD`` strings and times ``HH:MM`` strings (``string`` dtype);
- int-like columns (int, school_year, month, grade, bool 0/1) are ``int64`` when the registry
  requires them, else nullable ``Int64``; float and percent columns are ``Float64``;
- everything else is pandas ``string`` dtype; a missing value is ``pd.NA``, never 0 or "".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.specs import FLOAT_TYPES, INT_TYPES
from storage.registry import DatasetKind, default_registry

_INT_TYPES = INT_TYPES | {"bool"}
# The city's own survey instruments answer 1–4 (whole numbers); the instruments that give
# scores or categories (AiGROW, RST, Q-U) come as their own export files (``demo.forms``).
LIKERT_ANSWERS = frozenset({("survey_responses", "answer")})


def frame_columns(kind: DatasetKind) -> list[str]:
    """Column keys of the generated frame of a kind, in order."""
    stored = [c.key for c in kind.stored_columns]
    if kind.links_to_pupil and "address_code" not in stored:
        return ["address_code", *stored]
    return stored


def column_dtype(kind: DatasetKind, key: str) -> str:
    spec = kind.column(key)
    if spec.type in _INT_TYPES or (kind.name, key) in LIKERT_ANSWERS:
        return "int64" if spec.required else "Int64"
    if spec.type in FLOAT_TYPES:
        return "Float64"
    return "string"


def make_frame(kind_name: str, data: Mapping[str, Any]) -> pd.DataFrame:
    """A frame of ``kind_name`` from arrays; ``None``/NaN become ``pd.NA``."""
    kind = default_registry().kind(kind_name)
    cols = frame_columns(kind)
    if set(data) != set(cols):
        raise ValueError(f"{kind_name}: columns {sorted(data)} differ from {sorted(cols)}")
    out: dict[str, Any] = {}
    for key in cols:
        dtype = column_dtype(kind, key)
        values = data[key]
        if dtype == "string":
            arr = np.asarray(values, dtype=object)
            out[key] = pd.array(arr, dtype="string")
        else:
            out[key] = pd.array(values, dtype=dtype)
    return pd.DataFrame(out, columns=cols)


def nullable(values: Any, mask: Any) -> Any:
    """Values as an object array with ``None`` where ``mask`` is true."""
    arr = np.asarray(values).astype(object)
    arr[np.asarray(mask, dtype=bool)] = None
    return arr


def iso_dates(days: Any) -> Any:
    """Days since 1970-01-01 as ISO date strings (object array)."""
    arr = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return np.datetime_as_string(arr, unit="D").astype(object)


def hhmm(minutes: Any) -> Any:
    """Minutes after midnight as ``HH:MM`` strings (object array)."""
    table = np.asarray([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)
    return table[np.clip(np.asarray(minutes, dtype=np.int64), 0, 24 * 60 - 1)]
