"""Comparing a file with the store keeps 24 bytes per file row, whatever the store holds of the
file's years (issue 10, point 10): the stored rows whose key the file does not hold are not
kept, lookups are binary searches over sorted arrays, and the records a file holds identically
are two integer arrays that the commit iterates as (record, row) pairs."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from analysis.values import blank_equal_key
from storage.connection import transaction
from storage.registry import default_registry
from storage.repos import datasets
from storage.store import Store
from toda_desktop.importing.compare import IdenticalRows, StoredKeys
from toda_desktop.importing.frames import natural_key, storage_frame
from toda_desktop.importing.reference import rows_by_id, stored_keys


def _school_context(test_store: Store, schools: int) -> list[str]:
    kind = default_registry().kind("school_context")
    stored_cols = [c.key for c in kind.stored_columns]
    rows = [{"school_year": 2024, "school_code": f"{s:04d}", "grade": g, "pupil_count": 30 + g}
            for s in range(schools) for g in range(1, 7)]
    values = [tuple(r.get(c) for c in stored_cols) for r in rows]

    def write(conn: sqlite3.Connection) -> None:
        with transaction(conn):
            datasets.insert_rows(conn, kind, stored_cols, values)

    test_store.db.call(write, kind=kind.name)  # (the school lane)
    return stored_cols


def test_only_stored_rows_whose_key_the_file_holds_are_kept(test_store: Store) -> None:
    kind = default_registry().kind("school_context")
    stored_cols = _school_context(test_store, schools=50)  # 300 rows of 2024 stored
    key = natural_key(kind)
    # The file: two schools of 2024 (12 rows), one row not stored yet.
    file_rows = pd.DataFrame(
        [{"school_year": 2024, "school_code": f"{s:04d}", "grade": g, "pupil_count": 30 + g}
         for s in (3, 7) for g in range(1, 7)]
        + [{"school_year": 2024, "school_code": "9999", "grade": 1, "pupil_count": 1}])
    typed = file_rows.reindex(columns=stored_cols).astype(
        {"school_year": "Int64", "grade": "Int64", "pupil_count": "Int64"})
    rows = storage_frame(typed, stored_cols)
    among = np.unique(blank_equal_key(rows, key).to_numpy())
    everything = test_store.db.call(lambda c: stored_keys(c, kind, rows, key, stored_cols,
                                                          chunk=7), kind=kind.name)
    kept = test_store.db.call(lambda c: stored_keys(c, kind, rows, key, stored_cols, chunk=7,
                                                    among=among, among_key=key),
                              kind=kind.name)
    assert len(everything) == 300 and len(kept) == 12
    stored = test_store.db.call(lambda c: rows_by_id(c, kind, kept.ids.tolist()),
                                kind=kind.name)
    assert sorted(stored["school_code"].unique().tolist()) == ["0003", "0007"]
    # Each file row finds its stored row, or none.
    found = kept.find(blank_equal_key(rows, key).to_numpy())
    assert (found[:12] >= 0).all() and found[12] == -1
    assert sorted(kept.ids[found[:12]].tolist()) == sorted(kept.ids.tolist())


def test_stored_keys_find_each_key_by_binary_search_and_miss_the_absent() -> None:
    keys = np.array([50, 10, 40, 20], dtype=np.uint64)
    stored = StoredKeys.build(keys, np.array([5, 1, 4, 2], dtype=np.int64),
                              np.array([500, 100, 400, 200], dtype=np.uint64))
    assert stored.keys.tolist() == [10, 20, 40, 50]
    at = stored.find(np.array([40, 41, 10, 60, 0], dtype=np.uint64))
    assert at.tolist()[1] == -1 and at.tolist()[3] == -1 and at.tolist()[4] == -1
    assert stored.ids[at[[0, 2]]].tolist() == [4, 1]
    assert stored.values[at[[0, 2]]].tolist() == [400, 100]
    empty = StoredKeys.build(np.zeros(0, np.uint64), np.zeros(0, np.int64),
                             np.zeros(0, np.uint64))
    assert empty.find(np.array([1, 2], dtype=np.uint64)).tolist() == [-1, -1]


def test_identical_rows_are_kept_as_arrays_and_iterate_as_the_commit_needs() -> None:
    held = IdenticalRows()
    held.add(np.array([7, 8], dtype=np.int64), np.array([2, 3], dtype=np.int64))
    held.add([], [])
    held.add([9], [4])
    assert len(held) == 3
    assert list(held) == [(7, 2), (8, 3), (9, 4)]
    assert all(type(r) is int and type(s) is int for r, s in held)
    mapped = IdenticalRows.of_pairs([(7, 1_000_002), (8, None)])
    assert list(mapped) == [(7, 1_000_002), (8, None)]
    assert held == [(7, 2), (8, 3), (9, 4)]
