"""The whole-column conversions of importing/frames.py give exactly what the per-cell rule gives.

``storage_frame`` and ``key_text`` work on whole columns for speed; these tests pin them to
the per-cell definition (``storage_value``, and the row text ``str(value)`` joined by \\x1f
with missing as \\x00) on the values files and the store really produce, and stored rows
hashed chunk by chunk to the same keys as whole.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.values import blank_equal_key
from storage.connection import transaction
from storage.registry import default_registry
from storage.repos import datasets
from storage.store import Store
from toda_desktop.importing.frames import (
    key_text,
    natural_key,
    storage_frame,
    storage_value,
    text_frame,
)
from toda_desktop.importing.reference import rows_by_id, stored_keys


def per_cell(series: pd.Series) -> list[Any]:
    """The definition: storage_value of each cell, None where pandas sees a missing value."""
    missing = series.isna().to_numpy()
    return [None if m else storage_value(v)
            for v, m in zip(series.astype(object).tolist(), missing, strict=True)]


def typed(values: list[Any]) -> list[tuple[type, Any]]:
    """Values with their exact type (1, 1.0 and True must not pass for each other)."""
    return [(type(v), "nan" if isinstance(v, float) and math.isnan(v) else v) for v in values]


COLUMNS: dict[str, pd.Series] = {
    "Int64 with missing": pd.Series(pd.array([0, 7, None, -3, 2**40], dtype="Int64")),
    "numpy int64": pd.Series(np.array([0, 1, 255, 256, -1], dtype=np.int64)),
    "numpy int32": pd.Series(np.array([5, 6, 7, 8, 9], dtype=np.int32)),
    "Float64 with NaN and NA": pd.Series(pd.array([0.5, None, np.nan, 1.0, -0.0],
                                                  dtype="Float64")),
    "numpy float64 with NaN": pd.Series(np.array([1.25, np.nan, 3.0, -0.0, 1e20])),
    "boolean with missing": pd.Series(pd.array([True, False, None, True, False],
                                               dtype="boolean")),
    "numpy bool": pd.Series(np.array([True, False, True, True, False])),
    "dates with NaT": pd.Series(pd.to_datetime(["2024-04-01", None, "1999-12-31",
                                                "2025-03-31 13:45", "2100-01-01"],
                                               format="ISO8601")),
    "dates in seconds": pd.Series(np.array(["2024-04-01", "NaT", "2023-02-28", "2020-02-29",
                                            "1990-01-01"], dtype="datetime64[s]")),
    "string with leading zeros": pd.Series(pd.array(["000123", "0", None, "０１２", "A-01"],
                                                    dtype="string")),
    "str dtype": pd.Series(["001", "", "全角１２３", "x", "y"], dtype="str"),
    "object str and None": pd.Series(["001", None, np.nan, "五", ""], dtype=object),
    "object mixed": pd.Series([np.int64(3), True, 1.5, pd.Timestamp("2024-05-06"), pd.NaT],
                              dtype=object),
    "object numpy scalars": pd.Series([np.float32(2.5), np.bool_(False), np.int16(4), None,
                                       dt.date(2024, 1, 2)], dtype=object),
    "categorical text": pd.Series(pd.Categorical(["0012", None, "0012", "A", "０９"])),
    "categorical ints": pd.Series(pd.Categorical([3, 1, None, 3, 2])),
    "all missing": pd.Series([None] * 5, dtype=object),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_whole_column_conversion_equals_the_per_cell_rule(name: str) -> None:
    series = COLUMNS[name]
    frame = pd.DataFrame({"c": series.set_axis(range(10, 15))})
    got = storage_frame(frame, ["c"])["c"]
    assert got.dtype == object
    assert typed(got.tolist()) == typed(per_cell(series))


def test_an_absent_column_is_all_none_and_an_empty_frame_stays_empty() -> None:
    frame = pd.DataFrame({"a": pd.array([1, 2], dtype="Int64")}, index=[4, 9])
    out = storage_frame(frame, ["a", "missing"])
    assert out["missing"].tolist() == [None, None]
    assert list(out.index) == [4, 9]
    empty = storage_frame(frame.iloc[0:0], ["a"])
    assert len(empty) == 0 and list(empty.columns) == ["a"]


def row_text(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The definition of equal keys: the values' text, missing as \\x00, joined by \\x1f."""
    return ["\x1f".join("\x00" if v is None or (isinstance(v, float) and math.isnan(v))
                        else str(v) for v in row)
            for row in frame[columns].itertuples(index=False, name=None)]


def test_keys_are_equal_exactly_when_the_rows_text_is_equal() -> None:
    rows = pd.DataFrame({
        "pupil_id": [1, 1, 1, 2, 2, 1, 1, None, None, 1],
        "year": [2024, 2024, 2024, 2024, 2024, 2025, 2024, 2024, 2024, 2024],
        "code": ["007", "007", "7", "007", None, "007", "007", "007", "007", "\x00"],
        "score": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.0, 1.0, None],
    }, dtype=object)
    columns = ["pupil_id", "year", "code", "score"]
    keys = key_text(rows, columns).tolist()
    texts = row_text(rows, columns)
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (keys[i] == keys[j]) == (texts[i] == texts[j]), (i, j)


def test_keys_follow_the_text_also_for_mixed_types_stored_and_new() -> None:
    # A stored TEXT "1" and a new int 1 have the same text, as before; 1 and 1.0 do not.
    new = pd.DataFrame({"v": [1, 1.0, True, "1", None, np.nan]}, dtype=object)
    keys = key_text(new, ["v"]).tolist()
    texts = row_text(new, ["v"])
    for i in range(len(new)):
        for j in range(len(new)):
            assert (keys[i] == keys[j]) == (texts[i] == texts[j]), (i, j)


def test_keys_depend_on_column_order_and_match_across_frames() -> None:
    a = pd.DataFrame({"x": ["1", "2"], "y": ["2", "1"]}, dtype=object)
    swapped = key_text(a, ["x", "y"]).tolist()
    assert swapped[0] != swapped[1]
    stored = pd.DataFrame({"x": ["2", "9"], "y": ["1", "9"]}, dtype=object, index=[70, 71])
    assert key_text(a, ["x", "y"]).isin(key_text(stored, ["x", "y"])).tolist() == [False, True]
    assert key_text(a.iloc[0:0], ["x"]).tolist() == []


def test_text_frame_hashes_and_drops_missing_exactly_as_astype_str() -> None:
    rows = pd.DataFrame({
        "pupil_id": [1, 1, 2, None, 1],
        "code": ["007", "007", None, "7", "007"],
        "mixed": [1, 1.0, True, "1", None],
        "date": ["2024-04-01", None, "2024-04-01", "2024-04-02", "2024-04-01"],
    }, dtype=object, index=[5, 6, 8, 9, 12])
    compact = text_frame(rows)
    plain = rows.astype(str)
    assert list(compact.index) == list(plain.index)
    for col in rows.columns:
        assert compact[col].isna().tolist() == plain[col].isna().tolist()
        assert compact[col].dropna().tolist() == plain[col].dropna().tolist()
    assert (pd.util.hash_pandas_object(compact, index=False).tolist()
            == pd.util.hash_pandas_object(plain, index=False).tolist())
    assert list(compact.dropna(subset=["pupil_id", "code"]).index) == \
        list(plain.dropna(subset=["pupil_id", "code"]).index)


def test_stored_rows_hashed_in_chunks_match_new_rows_as_the_store_gives_them(
    test_store: Store,
) -> None:
    kind = default_registry().kind("school_context")
    stored_cols = [c.key for c in kind.stored_columns]
    written = [  # a nullable int (grade) with and without a value, percents with None
        {"school_year": 2024, "school_code": "0101", "grade": None, "pupil_count": 300,
         "welfare_rate": 8.5},
        {"school_year": 2024, "school_code": "0101", "grade": 1, "pupil_count": 50},
        {"school_year": 2024, "school_code": "0101", "grade": 2, "pupil_count": 48,
         "welfare_rate": 0.0},
        {"school_year": 2023, "school_code": "0101", "grade": 2, "pupil_count": 47},
        {"school_year": 2024, "school_code": "0202", "grade": 3, "class_name": "1"},
    ]
    values = [tuple(r.get(c) for c in stored_cols) for r in written]

    def write(conn: sqlite3.Connection) -> None:
        with transaction(conn):
            datasets.insert_rows(conn, kind, stored_cols, values)

    test_store.db.call(write, kind=kind.name)  # (the school lane)
    new = pd.DataFrame(written).reindex(columns=stored_cols)
    typed = new.assign(school_year=new["school_year"].astype("Int64"),
                       grade=new["grade"].astype("Int64"),
                       pupil_count=new["pupil_count"].astype("Int64"),
                       welfare_rate=new["welfare_rate"].astype("Float64"))
    rows = storage_frame(typed, stored_cols)
    key = natural_key(kind)
    hashed = test_store.db.call(lambda c: stored_keys(c, kind, rows, key, stored_cols, chunk=2),
                                kind=kind.name)
    whole = test_store.db.call(lambda c: rows_by_id(c, kind, hashed.ids.tolist()),
                               kind=kind.name)
    assert hashed.ids.tolist() == list(whole.index)
    assert hashed.keys.tolist() == blank_equal_key(whole, key).tolist()
    assert hashed.values.tolist() == key_text(whole, stored_cols).tolist()
    # What was written compares as identical, key by key and value by value.
    assert sorted(blank_equal_key(rows, key).tolist()) == sorted(hashed.keys.tolist())
    assert sorted(key_text(rows, stored_cols).tolist()) == sorted(hashed.values.tolist())
    changed = rows.assign(pupil_count=[301, 50, 48, 47, None])
    assert key_text(changed, stored_cols).iloc[0] not in set(hashed.values.tolist())
