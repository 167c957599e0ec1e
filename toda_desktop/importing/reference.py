"""What the import compares a file with: the pupils, their enrollments and stored rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from storage.connection import Connection
from storage.registry import DatasetKind
from storage.repos import imports

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
    return pupils, enrollments, imports.decisions(conn)


def existing_rows(conn: Connection, kind: DatasetKind, rows: pd.DataFrame) -> pd.DataFrame:
    """Stored rows that may share a natural key with ``rows`` (index and column ``id``)."""
    columns = ["id", *(["pupil_id"] if kind.links_to_pupil else []),
               *[c.key for c in kind.stored_columns]]
    sql = f"SELECT {', '.join(columns)} FROM {kind.table}"
    params: list[object] = []
    year = kind.year_column
    if year is not None and year in rows.columns and len(rows):
        years = sorted({int(y) for y in rows[year].dropna()})
        if years:
            sql += f" WHERE {year} IN ({', '.join('?' for _ in years)})"
            params = list(years)
    # Object columns keep the driver's values (int, float, str, None) as storage_frame gives
    # them for new rows: a nullable integer column must not turn into floats (1 → "1.0").
    frame = pd.DataFrame(conn.execute(sql, params).fetchall(), columns=columns, dtype=object)
    frame.index = pd.Index(frame["id"].to_numpy(dtype=np.int64))
    return frame
