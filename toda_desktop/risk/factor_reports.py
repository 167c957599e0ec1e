"""要因分析 reports kept per data version, so the page shows the last analysis at once.

The analysis reads a year of the city's data and takes from seconds to minutes; its report
(aggregate estimates, no pupil) is kept with the data version it was computed from
(``storage.repos.risk.data_version``: it changes with every import and rollback; an edit in
place drops kept reports by trigger, see migration 8). A kept report of another data version
is never shown. Permission checks and audit stay with the caller (``RiskService``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from analysis.factors import FactorReport, from_jsonable, to_jsonable
from storage.connection import Connection, transaction
from storage.database import Database
from storage.repos import factor_reports as repo
from storage.repos import risk as risk_repo


@dataclass(frozen=True)
class KeptFactors:
    """A report and when it was computed (on data that has not changed since)."""

    report: FactorReport
    computed_at: datetime


def data_version(db: Database) -> str:
    return str(db.call(risk_repo.data_version))


def kept_report(db: Database, school_year: int) -> KeptFactors | None:
    """The report kept for the year, if it was computed from the data as it is now."""
    def read(conn: Connection) -> tuple[repo.KeptReport | None, str]:
        return repo.get(conn, school_year), risk_repo.data_version(conn)

    kept, version = db.call(read)
    if kept is None or kept.data_version != version:
        return None
    return KeptFactors(from_jsonable(json.loads(kept.report)),
                       datetime.fromisoformat(kept.computed_at))


def keep_report(db: Database, report: FactorReport, version: str,
                computed_at: datetime) -> KeptFactors:
    """Keep ``report``, computed from data of ``version`` (read before the data were)."""
    at = computed_at.replace(microsecond=0)
    kept = repo.KeptReport(report.school_year, version, at.isoformat(),
                           json.dumps(to_jsonable(report), ensure_ascii=False))

    def write(conn: Connection) -> None:
        with transaction(conn):
            repo.put(conn, kept)

    db.call(write)
    return KeptFactors(report, at)
