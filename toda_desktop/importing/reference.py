"""What the import compares a file with: the pupils, their enrollments and stored rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.values import blank_equal_key
from storage.connection import Connection
from storage.registry import OCCURRENCE, DatasetKind
from storage.repos import imports
from toda_desktop.importing.frames import key_text

PUPIL_COLUMNS = ["pupil_id", "address_code", "name", "name_kana", "birth_date", "sex"]
ENROLLMENT_COLUMNS = ["pupil_id", "school_year", "school_code", "grade", "class_name",
                      "seat_number", "pref_id", "google_account"]


def linkage_reference(
    conn: Connection,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int | None]]:
    """The master and enrollments as 名寄せ needs them, and the remembered decisions."""
    pupils = pd.DataFrame(
        conn.execute(
            "SELECT id, address_code, name, name_kana, birth_date, sex FROM ds_students"
        ).fetchall(),
        columns=PUPIL_COLUMNS,
    )
    enrollments = pd.DataFrame(
        conn.execute(
            "SELECT pupil_id, school_year, school_code, grade, class_name, seat_number,"
            " pref_id, google_account FROM ds_enrollments"
        ).fetchall(),
        columns=ENROLLMENT_COLUMNS,
    )
    types = school_types(conn)
    if types:  # 校種, so that 学年 2 at a 中学校 and the register's 8 are one grade
        enrollments["school_type"] = enrollments["school_code"].map(
            lambda code: types.get(str(code), ""))
    return pupils, enrollments, imports.decisions(conn)


def school_types(conn: Connection) -> dict[str, str]:
    """学校コード → 校種 (empty before the schools' file is imported)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ds_schools'").fetchone()
    if exists is None:
        return {}
    return {str(c): str(t) for c, t in conn.execute(
        "SELECT school_code, school_type FROM ds_schools") if t}


def _stored_columns(kind: DatasetKind) -> list[str]:
    return ["id", *(["pupil_id"] if kind.links_to_pupil else []),
            *[c.key for c in kind.stored_columns], *([OCCURRENCE] if kind.repeats else [])]


def _candidates_query(kind: DatasetKind, rows: pd.DataFrame) -> tuple[list[str], str,
                                                                      list[object]]:
    """Columns, SQL and parameters of the stored rows that may share a natural key with
    ``rows`` (those of the school years the rows hold, when the kind has a year)."""
    columns = _stored_columns(kind)
    sql = f"SELECT {', '.join(columns)} FROM {kind.table}"
    params: list[object] = []
    year = kind.year_column
    if year is not None and year in rows.columns and len(rows):
        years = sorted({int(y) for y in rows[year].dropna()})
        if years:
            sql += f" WHERE {year} IN ({', '.join('?' for _ in years)})"
            params = list(years)
    return columns, sql, params


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
    columns = _stored_columns(kind)
    fetched: list[tuple[object, ...]] = []
    for start in range(0, len(ids), 500):
        part = [int(i) for i in ids[start:start + 500]]
        fetched += conn.execute(
            f"SELECT {', '.join(columns)} FROM {kind.table}"
            f" WHERE id IN ({', '.join('?' for _ in part)})", part).fetchall()
    return _block(fetched, columns).reindex([int(i) for i in ids])


def stored_occasions(
    conn: Connection, kind: DatasetKind, pupil_ids: Sequence[int]
) -> pd.DataFrame:
    """The stored occasions (``kind.occasion``, e.g. 利用日 + 入室時刻) of these pupils."""
    columns = ["pupil_id", *kind.occasion]
    fetched: list[tuple[object, ...]] = []
    for start in range(0, len(pupil_ids), 500):
        part = [int(i) for i in pupil_ids[start:start + 500]]
        fetched += conn.execute(
            f"SELECT {', '.join(columns)} FROM {kind.table}"
            f" WHERE pupil_id IN ({', '.join('?' for _ in part)})", part).fetchall()
    values = np.empty((len(fetched), len(columns)), dtype=object)
    if fetched:
        values[:] = fetched
    return pd.DataFrame(values, columns=columns, dtype=object)


def stored_keys(
    conn: Connection, kind: DatasetKind, rows: pd.DataFrame, key: Sequence[str],
    values: Sequence[str], chunk: int = 50_000,
) -> pd.DataFrame:
    """Per stored row that may share a natural key with ``rows`` (index: its id), the
    :func:`blank_equal_key` of its ``key`` columns ("key": the store's unique-index rule) and
    the :func:`key_text` of its ``values`` ("values").

    Read and hashed ``chunk`` rows at a time: comparing a re-imported 700,000-row file needs
    16 bytes per stored row, not the stored rows themselves.
    """
    columns, sql, params = _candidates_query(kind, rows)
    cursor = conn.execute(sql, params)
    parts = []
    while batch := cursor.fetchmany(chunk):
        frame = _block(batch, columns)
        parts.append(pd.DataFrame({"key": blank_equal_key(frame, key),
                                   "values": key_text(frame, values)},
                                  index=frame.index))
    if not parts:
        return pd.DataFrame({"key": pd.Series([], dtype=np.uint64),
                             "values": pd.Series([], dtype=np.uint64)},
                            index=pd.Index([], dtype=np.int64))
    return pd.concat(parts)
