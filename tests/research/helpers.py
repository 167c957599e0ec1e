"""Shared steps of the research-extract tests: sign in to the demo city, make an extract."""

from __future__ import annotations

import json
import re
from pathlib import Path

from storage import audit as audit_repo
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.research.service import ExtractRequest, WrittenExtract

COLUMNS = (("attendance_monthly", "month"), ("attendance_monthly", "absence_days"),
           ("health_room_visits", "visit_date"), ("health_room_visits", "symptom"),
           ("enrollments", "special_needs_class"))
PURPOSE = "不登校の要因に関する大学との共同研究"


def request(signed: SignedIn, project: str, columns: tuple[tuple[str, str], ...] = COLUMNS,
            purpose: str = PURPOSE) -> ExtractRequest:
    years = signed.research.school_years()[:2]
    return ExtractRequest(project, purpose, years, columns)


def make(signed: SignedIn, project: str, out: Path,
         columns: tuple[tuple[str, str], ...] = COLUMNS) -> WrittenExtract:
    """Register the project if new (as whoever is signed in), then write an extract."""
    if project not in {p.name for p in signed.research.projects()}:
        signed.research.register_project(project, "研究計画書に基づく分析")
    out.mkdir(parents=True, exist_ok=True)
    return signed.research.extract(request(signed, project, columns), out)


def lead(path: Path) -> SignedIn:
    return sign_in(path, "project_lead")


def audit_details(signed: SignedIn, action: str) -> list[tuple[str, str, dict[str, object]]]:
    """(outcome, actor, detail) of the entries of ``action``, oldest first."""
    rows = signed.store.db.call(lambda conn: audit_repo.query(conn, action=action))
    return [(r.outcome, r.actor, json.loads(r.detail or "{}")) for r in reversed(rows)]


def one(files: tuple[Path, ...], suffix: str) -> Path:
    """The file whose name after the project and time is ``suffix`` (e.g. _pupils.parquet)."""
    found = [f for f in files
             if (m := re.search(r"_\d{8}-\d{6}(_.+)$", f.name)) and m.group(1) == suffix]
    assert len(found) == 1, suffix
    return found[0]
