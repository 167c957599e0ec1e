"""A purge is a dry run first, approved by the project lead, then run; the certificate in the
audit log counts exactly what went."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage.registry import default_registry
from storage.repos import retention_plans as plans
from tests.retention.helpers import FIVE_YEARS_ON, TWENTY_YEARS_ON, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError

REGISTRY = default_registry()


def _table_counts(signed: SignedIn) -> dict[str, int]:
    def count(conn: object, table: str) -> int:
        return int(conn.execute(  # type: ignore[attr-defined]
            f"SELECT count(*) FROM {table}").fetchone()[0])

    # (each kind on its lane: the school group's file is on a connection of its own)
    return {k.name: signed.store.db.call(lambda c, t=k.table: count(c, t), kind=k.name)
            for k in REGISTRY.kinds}


def test_a_dry_run_changes_nothing(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        before = _table_counts(lead)
        plan = lead.retention.make_plan()
        assert plan.records > 0 and plan.status == plans.PLANNED
        assert _table_counts(lead) == before
        kinds = {line.kind for line in plan.lines}
        assert "attendance_monthly" in kinds and "students" not in kinds  # 20 years not over
        assert not plan.unseen
    finally:
        lead.sign_out()


def test_no_approval_no_run(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        before = _table_counts(lead)
        plan = lead.retention.make_plan()
        with pytest.raises(UserFacingError, match="承認"):
            lead.retention.run(plan.id)
        assert _table_counts(lead) == before
        denied = lead.audit_view.entries(AuditFilter(action="retention_run"))
        assert denied and denied[0].outcome_label == "拒否"
    finally:
        lead.sign_out()


def test_only_the_lead_approves(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    analyst = sign_in(demo_store_path, "data_analyst", FIVE_YEARS_ON)
    try:
        plan = lead.retention.make_plan()
        with pytest.raises(PermissionDenied):
            analyst.retention.approve(plan.id)
        with pytest.raises(PermissionDenied):
            analyst.retention.run(plan.id)
    finally:
        analyst.sign_out()
        lead.sign_out()


def test_the_certificate_counts_exactly_what_went(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        before = _table_counts(lead)
        plan = lead.retention.approve(lead.retention.make_plan().id)
        result = lead.retention.run(plan.id)
        after = _table_counts(lead)
        went: dict[str, int] = {}
        for line in result.plan.lines:
            assert line.done == line.records
            if line.kind in REGISTRY.names:
                went[line.kind] = went.get(line.kind, 0) + line.records
        for kind in REGISTRY.names:
            assert before[kind] - after[kind] == went.get(kind, 0), kind
        entry = lead.audit_view.entries(AuditFilter(action="retention_certificate"))[0]
        stored = lead.store.db.call(lambda c: c.execute(
            "SELECT detail FROM audit_log WHERE id = ?", (entry.id,)).fetchone()[0])
        detail = json.loads(stored)
        assert detail["records"] == plan.records
        assert len(detail["certificate"]) == len(plan.lines)
        # A second plan finds nothing left to do; run, it cleans every file.
        empty = lead.retention.make_plan()
        assert empty.records == 0 and not empty.lines
        again = lead.retention.run(lead.retention.approve(empty.id).id)
        assert again.files == 1 + len(lead.store.held_groups) > result.files - 1
    finally:
        lead.sign_out()


def test_a_plan_is_made_again_when_the_data_changed(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        plan = lead.retention.approve(lead.retention.make_plan().id)
        # One due record goes another way (a correction) after the plan was approved.
        lead.store.db.call(lambda c: c.execute(
            "DELETE FROM ds_consultations WHERE id = (SELECT min(id) FROM ds_consultations"
            " WHERE pupil_id IN (SELECT pupil_id FROM ds_enrollments GROUP BY pupil_id"
            " HAVING max(school_year) < 2025))"))
        with pytest.raises(UserFacingError, match="作り直して"):
            lead.retention.run(plan.id)
    finally:
        lead.sign_out()


def test_a_plan_cannot_judge_a_day_after_today(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        with pytest.raises(UserFacingError, match="今日より後"):
            lead.retention.make_plan(TWENTY_YEARS_ON.date())
    finally:
        lead.sign_out()


def test_bookkeeping_that_names_a_purged_pupil_goes_too(demo_store_path: Path) -> None:
    """A review item linked to the pupil and the values an import overwrote (which a rollback
    would bring back) go with the records; the certificate counts them."""
    from storage.placement import schema_of

    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        def plant(conn: object) -> tuple[int, int]:
            c = conn
            pupil, record = c.execute(  # type: ignore[attr-defined]
                "SELECT pupil_id, id FROM ds_consultations WHERE pupil_id IN (SELECT pupil_id"
                " FROM ds_enrollments GROUP BY pupil_id HAVING max(school_year) < 2025)"
                " ORDER BY id LIMIT 1").fetchone()
            schema = schema_of(c, "ds_consultations")  # type: ignore[arg-type]
            c.execute(  # type: ignore[attr-defined]
                f"INSERT INTO {schema}.review_queue (batch_id, kind, source_name, source_row,"
                " fingerprint, row_json, candidates_json, reason, status, pupil_id)"
                " VALUES (1, 'consultations', 'f.csv', 2, 'fp', '{}', '[]', 'r', 'linked', ?)",
                (pupil,))
            c.execute(  # type: ignore[attr-defined]
                f"INSERT INTO {schema}.batch_overwrites (batch_id, kind, record_id, old_json)"
                " VALUES (1, 'consultations', ?, '{}')", (record,))
            return int(pupil), int(record)

        lead.store.db.call(plant)
        plan = lead.retention.approve(lead.retention.make_plan().id)
        result = lead.retention.run(plan.id)
        assert result.related["review_queue"] == 1
        assert result.related["batch_overwrites"] == 1
        for table in ("review_queue", "batch_overwrites"):
            remaining = lead.store.db.call(lambda c, t=table: c.execute(
                f"SELECT count(*) FROM {schema_of(c, 'ds_consultations')}.{t}"
                " WHERE kind = 'consultations'").fetchone()[0])
            assert remaining == 0, table
    finally:
        lead.sign_out()
