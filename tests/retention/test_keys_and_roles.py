"""A role purges only what it may see and holds the keys of; the plan says what it left out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.retention.helpers import FIVE_YEARS_ON, sign_in
from toda_desktop.errors import PermissionDenied
from toda_desktop.policy.model import parse_policy_text, policy_to_toml


def _give_retention_to_bullying_support(path: Path) -> None:
    lead = sign_in(path, "project_lead", FIVE_YEARS_ON)
    try:
        text = lead.policy_admin.current_text()
        old = 'functions = ["pupil_search", "view", "case_edit"]'
        assert old in text
        lead.policy_admin.update(text.replace(old, old.replace(
            '"case_edit"]', '"case_edit", "retention"]')))
    finally:
        lead.sign_out()


def _count(signed: object, table: str) -> int:
    return int(signed.store.db.call(  # type: ignore[attr-defined]
        lambda c: c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]))


def test_a_role_without_a_groups_key_cannot_purge_it(demo_store_path: Path) -> None:
    _give_retention_to_bullying_support(demo_store_path)
    bullying = sign_in(demo_store_path, "bullying_support", FIVE_YEARS_ON)
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        own = bullying.retention.make_plan()
        assert {line.kind for line in own.lines} == {"bullying_records"}
        assert "出欠状況（月次）" in own.unseen and "教育相談・SC/SSW相談" in own.unseen
        assert "いじめ等の記録" not in own.unseen
        consultations = _count(lead, "ds_consultations")
        bullying.retention.run(lead.retention.approve(own.id).id)
        assert _count(lead, "ds_consultations") == consultations

        whole = lead.retention.approve(lead.retention.make_plan().id)
        assert not whole.unseen
        with pytest.raises(PermissionDenied, match="鍵をお持ちでない"):
            bullying.retention.run(whole.id)
        assert _count(lead, "ds_consultations") == consultations
        lead.retention.run(whole.id)
        assert _count(lead, "ds_consultations") < consultations
    finally:
        lead.sign_out()
        bullying.sign_out()


def test_roles_without_the_function_neither_plan_nor_see_plans(demo_store_path: Path) -> None:
    analyst = sign_in(demo_store_path, "data_analyst", FIVE_YEARS_ON)
    it_admin = sign_in(demo_store_path, "it_admin", FIVE_YEARS_ON)
    try:
        for signed in (analyst, it_admin):
            with pytest.raises(PermissionDenied):
                signed.retention.make_plan()
            with pytest.raises(PermissionDenied):
                signed.retention.current()
    finally:
        it_admin.sign_out()
        analyst.sign_out()


def test_a_role_that_may_see_a_domain_but_lacks_its_key_leaves_it_out(
    demo_store_path: Path,
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        policy = parse_policy_text(lead.policy_admin.current_text())
        roles = tuple(replace(r, functions=frozenset({*r.functions, "retention"}))
                      if r.key == "data_analyst" else r for r in policy.roles)
        lead.policy_admin.update(policy_to_toml(replace(policy, roles=roles)))
        lead.store.revoke_groups("demo-analyst", ["health"])  # e.g. a key not given yet
    finally:
        lead.sign_out()
    analyst = sign_in(demo_store_path, "data_analyst", FIVE_YEARS_ON)
    try:
        plan = analyst.retention.make_plan()
        assert plan.unseen == ("学校健診",)
        assert "health_checkups" not in {line.kind for line in plan.lines}
        assert "health_room_visits" in {line.kind for line in plan.lines}
    finally:
        analyst.sign_out()


def test_an_insider_cannot_approve_by_writing_the_plan_row(demo_store_path: Path) -> None:
    """Every account holds the store file's key, so an insider can set a plan to 承認済み
    with sqlcipher3; the run wants the approver's own signed audit entry for that digest."""
    from storage.store import Store
    from toda_desktop.errors import UserFacingError
    from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        plan = lead.retention.make_plan()
        before = _count(lead, "ds_consultations")
        insider = Store.open(demo_store_path, DEMO_LOGINS["it_admin"][0], DEMO_PASSWORD)
        try:
            insider.db.call(lambda c: c.execute(
                "UPDATE retention_plans SET status = 'approved', approved_by = 'demo-lead',"
                " approved_at = made_at WHERE id = ?", (plan.id,)))
        finally:
            insider.close()
        with pytest.raises(UserFacingError, match="承認が監査ログの記録と一致しません"):
            lead.retention.run(plan.id)
        assert _count(lead, "ds_consultations") == before
        # A real approval, then the plan's digest changed by hand: refused too.
        fresh = lead.retention.approve(lead.retention.make_plan().id)
        insider = Store.open(demo_store_path, DEMO_LOGINS["it_admin"][0], DEMO_PASSWORD)
        try:
            insider.db.call(lambda c: c.execute(
                "UPDATE retention_plans SET digest = ? WHERE id = ?", ("0" * 64, fresh.id)))
        finally:
            insider.close()
        with pytest.raises(UserFacingError, match="一致しません"):
            lead.retention.run(fresh.id)
        assert _count(lead, "ds_consultations") == before
    finally:
        lead.sign_out()
