"""What the import compares a file with: the pupils, their enrollments and stored rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.values import blank_equal_key, normalize_class_name
from storage.connection import Connection
from storage.registry import DatasetKind
from storage.repos import imports, stored_rows
from toda_desktop.importing.compare import StoredKeys
from toda_desktop.importing.frames import key_text

# Linkage names the master's id "pupil_id".
PUPIL_COLUMNS = ["pupil_id", *stored_rows.PUPIL_COLUMNS[1:]]
ENROLLMENT_COLUMNS = list(stored_rows.ENROLLMENT_COLUMNS)


def linkage_reference(
    conn: Connection,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int | None]]:
    """The master and enrollments as 名寄せ needs them, and the remembered decisions."""
    pupils = pd.DataFrame(stored_rows.linkage_pupils(conn), columns=PUPIL_COLUMNS)
    enrollments = pd.DataFrame(stored_rows.linkage_enrollments(conn),
                               columns=ENROLLMENT_COLUMNS)
    types = stored_rows.school_types(conn)
    if types:  # 校種, so that 学年 2 at a 中学校 and the register's 8 are one grade
        enrollments["school_type"] = enrollments["school_code"].map(
            lambda code: types.get(str(code), ""))
    return pupils, enrollments, imports.decisions(conn)


def _years(kind: DatasetKind, rows: pd.DataFrame) -> list[int]:
    """The school years ``rows`` hold (their stored rows are the ones to compare with)."""
    year = kind.year_column
    if year is None or year not in rows.columns or not len(rows):
        return []
    return sorted({int(y) for y in rows[year].dropna()})


def _block(batch: list[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    """Fetched rows as object columns keeping the driver's values (int, float, str, None) as
    storage_frame gives them for new rows: a nullable integer column must not turn into
    floats (1 → "1.0"). Index: the row ids."""
    values = np.empty((len(batch), len(columns)), dtype=object)
    if batch:
        values[:] = batch  # element by element: str and bytes stay whole
    frame = pd.DataFrame(values, columns=columns, dtype=object, copy=False)
    frame.index = pd.Index(frame["id"].to_numpy(dtype=np.int64))
    return frame


def rows_by_id(conn: Connection, kind: DatasetKind, ids: Sequence[int]) -> pd.DataFrame:
    """The stored rows ``ids`` (in that order; index and column ``id``): the few whose values
    differ from the file's, read whole so that an overwrite can be shown and kept known."""
    fetched = stored_rows.records_by_id(conn, kind, ids)
    return _block(fetched, stored_rows.record_columns(kind)).reindex([int(i) for i in ids])


def stored_occasions(
    conn: Connection, kind: DatasetKind, pupil_ids: Sequence[int]
) -> pd.DataFrame:
    """The stored occasions (``kind.occasion``, e.g. 利用日 + 入室時刻) of these pupils."""
    columns = ["pupil_id", *kind.occasion]
    fetched = stored_rows.occasions(conn, kind, pupil_ids)
    values = np.empty((len(fetched), len(columns)), dtype=object)
    if fetched:
        values[:] = fetched
    return pd.DataFrame(values, columns=columns, dtype=object)


def _class_names_normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored rows with 組 as imports now store it: a record kept as 「1組」 before class names
    were normalised is the file's 「1」 (its values differ, so an overwrite offers the change)
    instead of a second record of the same class."""
    if "class_name" not in frame.columns or not len(frame):
        return frame
    names = frame["class_name"]
    normalized = names.map(lambda v: v if v is None or v != v else normalize_class_name(str(v)))
    if normalized.equals(names):
        return frame
    return frame.assign(class_name=normalized)


def stored_keys(
    conn: Connection, kind: DatasetKind, rows: pd.DataFrame, key: Sequence[str],
    values: Sequence[str], chunk: int = 50_000, *,
    among: npt.NDArray[np.uint64] | None = None, among_key: Sequence[str] = (),
) -> StoredKeys:
    """Per stored row that may share a natural key with ``rows``: its id, the
    :func:`blank_equal_key` of its ``key`` columns (the store's unique-index rule) and the
    :func:`key_text` of its ``values``.

    Read and hashed ``chunk`` rows at a time, and with ``among`` (the file's sorted
    :func:`blank_equal_key` hashes of ``among_key``) only the stored rows whose key is among
    them are kept: comparing a re-imported file needs 24 bytes per row of the file, however
    many rows of its years the store holds.
    """
    columns = stored_rows.record_columns(kind)
    keys: list[npt.NDArray[np.uint64]] = []
    ids: list[npt.NDArray[np.int64]] = []
    texts: list[npt.NDArray[np.uint64]] = []
    for batch in stored_rows.records_of_years(conn, kind, _years(kind, rows), chunk):
        frame = _block(batch, columns)
        keyed = _class_names_normalized(frame)
        if among is not None:
            wanted = blank_equal_key(keyed, among_key).to_numpy()
            at = np.minimum(np.searchsorted(among, wanted), max(0, len(among) - 1))
            keep = (among[at] == wanted) if len(among) else np.zeros(len(frame), dtype=bool)
            frame, keyed = frame.loc[keep], keyed.loc[keep]
        keys.append(blank_equal_key(keyed, key).to_numpy(dtype=np.uint64))
        ids.append(frame.index.to_numpy(dtype=np.int64))
        texts.append(key_text(frame, values).to_numpy(dtype=np.uint64))
        del frame
    if not keys:
        return StoredKeys(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint64))
    return StoredKeys.build(np.concatenate(keys), np.concatenate(ids), np.concatenate(texts))
