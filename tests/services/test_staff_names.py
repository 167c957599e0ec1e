"""People are named as office staff know each other: the issue-13 services give the display
name beside the login ID (typed, for the screens and the command line to write), a disabled
account is marked so, and the audit log keeps the login ID."""

from __future__ import annotations

from pathlib import Path

from tests.retention.helpers import FIVE_YEARS_ON, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.export_purpose import catalog
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.staff import Staff, staff_label

MEETING = Purpose("ケース会議の資料", "12月10日の会議")
LEAD = Staff("demo-lead", "デモ 総括", active=True)
ANALYST = Staff("demo-analyst", "デモ 分析", active=True)


def test_a_pending_request_names_the_requester_by_display_name_and_the_log_keeps_the_id(
    demo_store_path: Path,
) -> None:
    analyst = sign_in(demo_store_path, "data_analyst", FIVE_YEARS_ON)
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        request = analyst.export_purposes.request(catalog.SEARCH_RESULTS.key, MEETING, 300)
        [pending] = lead.export_purposes.pending()
        assert (pending.id, pending.requester, pending.decider) == (request, ANALYST, None)
        assert pending.requested_by == "demo-analyst"
        lead.export_purposes.decline(request, "人数が多すぎます")
        [decided] = lead.export_purposes.decided()
        assert (decided.requester, decided.decider) == (ANALYST, LEAD)
        entries = lead.audit_view.entries(AuditFilter(action="export_approval_requested"))
        assert [e.actor for e in entries] == ["demo-analyst"]
    finally:
        lead.sign_out()
        analyst.sign_out()


def test_a_disabled_requester_keeps_the_name_and_id_marked_as_disabled(
    demo_store_path: Path,
) -> None:
    analyst = sign_in(demo_store_path, "data_analyst", FIVE_YEARS_ON)
    try:
        analyst.export_purposes.request(catalog.SEARCH_RESULTS.key, MEETING, 300)
    finally:
        analyst.sign_out()
    admin = sign_in(demo_store_path, "it_admin", FIVE_YEARS_ON)
    try:
        admin.account_admin.set_enabled("demo-analyst", False)
    finally:
        admin.sign_out()
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        [pending] = lead.export_purposes.pending()
    finally:
        lead.sign_out()
    assert pending.requester == Staff("demo-analyst", "デモ 分析", active=False)
    assert staff_label(pending.requester) == "デモ 分析（demo-analyst、無効）"


def test_a_retention_plan_names_its_maker_and_approver_by_display_name(
    demo_store_path: Path,
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        plan = lead.retention.make_plan()
        assert (plan.made_by, plan.approved_by, plan.run_by) == (LEAD, None, None)
        approved = lead.retention.approve(plan.id)
        assert approved.approved_by == LEAD
        assert staff_label(approved.made_by) == "デモ 総括（demo-lead）"
    finally:
        lead.sign_out()


def test_a_research_project_names_who_registered_it_by_display_name(
    demo_store_path: Path,
) -> None:
    analyst = sign_in(demo_store_path, "data_analyst", FIVE_YEARS_ON)
    try:
        project = analyst.research.register_project("学力研究", "大学との共同研究")
        assert (project.created_by, project.approved_by) == (ANALYST, None)
        assert [p.created_by for p in analyst.research.projects()] == [ANALYST]
    finally:
        analyst.sign_out()


def test_an_account_no_longer_in_the_store_shows_its_login_id() -> None:
    assert staff_label(Staff("old-staff", None, active=False)) == "old-staff（登録なし）"
