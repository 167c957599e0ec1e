"""Compact structures for comparing a file with the store (issue 10, point 10, memory).

A re-imported file meets a stored row for each of its rows. Pandas Series keyed by hash and
lists of Python tuples cost 100+ bytes a row there; these keep 8 bytes a value in sorted
NumPy arrays, looked up by binary search, and never more stored rows than the file has keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NO_ROW = -1  # a file row that is not known (stored as None)


@dataclass(frozen=True)
class StoredKeys:
    """Stored rows that may share a key with the file: their key hashes (sorted), ids and
    values hashes (:func:`analysis.values.key_text`). 24 bytes a stored row."""

    keys: npt.NDArray[np.uint64]
    ids: npt.NDArray[np.int64]
    values: npt.NDArray[np.uint64]

    @classmethod
    def build(cls, keys: npt.NDArray[np.uint64], ids: npt.NDArray[np.int64],
              values: npt.NDArray[np.uint64]) -> StoredKeys:
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], ids[order], values[order])

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """Position of each key among the stored ones, -1 where none is stored."""
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, at, -1).astype(np.int64)


class IdenticalRows:
    """Stored records the file holds identically, as (record id, file row) pairs: two int64
    arrays instead of a tuple a row. Iterating gives the pairs (a row of ``None`` when it is
    not known) for :func:`storage.repos.imports.confirm_rows`."""

    def __init__(self) -> None:
        self._records: list[npt.NDArray[np.int64]] = []
        self._rows: list[npt.NDArray[np.int64]] = []
        self._count = 0

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[int, int | None]]) -> IdenticalRows:
        out = cls()
        listed = list(pairs)
        out.add([r for r, _ in listed], [NO_ROW if s is None else s for _, s in listed])
        return out

    def add(self, records: Iterable[int] | npt.NDArray[np.int64],
            rows: Iterable[int] | npt.NDArray[np.int64]) -> None:
        records_arr = np.asarray(list(records) if not isinstance(records, np.ndarray)
                                 else records, dtype=np.int64)
        rows_arr = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows,
                              dtype=np.int64)
        if len(records_arr) != len(rows_arr):
            raise ValueError("records and rows differ in length")
        if len(records_arr):
            self._records.append(records_arr)
            self._rows.append(rows_arr)
            self._count += len(records_arr)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[int, int | None]]:
        for records, rows in zip(self._records, self._rows, strict=True):
            for record, row in zip(records.tolist(), rows.tolist(), strict=True):
                yield record, (None if row == NO_ROW else row)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IdenticalRows):
            return list(self) == list(other)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
