"""The reads behind the 名寄せ review queue: who the candidate pupils are, and the checks a
decision makes before it stores a row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.connection import Connection
from storage.registry import DatasetKind

Row = tuple[Any, ...]  # as SQLite returns it; the review service formats the values


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def pupil_identities(conn: Connection, pupil_ids: Sequence[int]) -> list[Row]:
    """(id, name, name_kana, birth_date, sex, address_code) of these pupils."""
    if not pupil_ids:
        return []
    return list(conn.execute(
        "SELECT id, name, name_kana, birth_date, sex, address_code FROM ds_students"
        f" WHERE id IN ({_marks(len(pupil_ids))})", list(pupil_ids)))


def enrollments(conn: Connection, pupil_ids: Sequence[int]) -> list[Row]:
    """(pupil_id, school_year, school_code, school name or code, grade, class_name,
    seat_number) of these pupils, oldest year first."""
    if not pupil_ids:
        return []
    return list(conn.execute(
        "SELECT e.pupil_id, e.school_year, e.school_code, coalesce(s.school_name, e.school_code),"
        " e.grade, e.class_name, e.seat_number FROM ds_enrollments e"
        " LEFT JOIN ds_schools s ON s.school_code = e.school_code"
        f" WHERE e.pupil_id IN ({_marks(len(pupil_ids))}) ORDER BY e.school_year",
        list(pupil_ids)))


def pupil_by_address_code(conn: Connection, address_code: str) -> int | None:
    row = conn.execute("SELECT id FROM ds_students WHERE address_code = ?",
                       (address_code,)).fetchone()
    return None if row is None else int(row[0])


def pupil_exists(conn: Connection, pupil_id: int) -> bool:
    return conn.execute("SELECT 1 FROM ds_students WHERE id = ?",
                        (pupil_id,)).fetchone() is not None


def has_row(conn: Connection, kind: DatasetKind, values: dict[str, object]) -> bool:
    """Whether a row with these values of the pupil and the natural key is stored (blank
    and NULL count as equal, as in the natural-key index)."""
    key = ["pupil_id", *kind.natural_key]
    where = " AND ".join(f"ifnull({k}, '') = ifnull(?, '')" for k in key)
    return conn.execute(f"SELECT 1 FROM {kind.table} WHERE {where}",
                        [values[k] for k in key]).fetchone() is not None


def rows_in_batch(conn: Connection, kind: DatasetKind, batch_id: int,
                  pupil_ids: Sequence[int]) -> dict[int, int]:
    """How many rows of this import batch are already linked to each of these pupils (a clue
    for 名寄せ: the same file's other rows carried a candidate's 宛名番号)."""
    if not pupil_ids:
        return {}
    return {int(pid): int(n) for pid, n in conn.execute(
        f"SELECT pupil_id, count(*) FROM {kind.table} WHERE batch_id = ?"
        f" AND pupil_id IN ({_marks(len(pupil_ids))}) GROUP BY pupil_id",
        [batch_id, *pupil_ids])}


def neighbours_in_batch(conn: Connection, kind: DatasetKind, batch_id: int, source_row: int
                        ) -> list[tuple[int, int]]:
    """(source row, pupil id) of the rows just above and below this one in the same file
    that are linked already (files are usually sorted by pupil: a strong 名寄せ clue)."""
    return [(int(r), int(p)) for r, p in conn.execute(
        f"SELECT source_row, pupil_id FROM {kind.table} WHERE batch_id = ?"
        " AND source_row IN (?, ?) AND pupil_id IS NOT NULL ORDER BY source_row",
        (batch_id, source_row - 1, source_row + 1))]
