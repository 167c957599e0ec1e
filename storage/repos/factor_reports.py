"""The kept 要因分析 reports (migration 8): one per school year, with its data version."""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection


@dataclass(frozen=True)
class KeptReport:
    school_year: int
    data_version: str
    computed_at: str
    report: str  # JSON


def get(conn: Connection, school_year: int) -> KeptReport | None:
    row = conn.execute(
        "SELECT school_year, data_version, computed_at, report FROM factor_reports"
        " WHERE school_year = ?", (school_year,)).fetchone()
    return None if row is None else KeptReport(int(row[0]), str(row[1]), str(row[2]),
                                               str(row[3]))


def put(conn: Connection, kept: KeptReport) -> None:
    conn.execute(
        "INSERT INTO factor_reports (school_year, data_version, computed_at, report)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(school_year) DO UPDATE SET"
        " data_version = excluded.data_version, computed_at = excluded.computed_at,"
        " report = excluded.report",
        (kept.school_year, kept.data_version, kept.computed_at, kept.report))
