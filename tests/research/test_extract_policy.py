"""Who may make a research extract, of what, and what the audit log keeps (real accounts)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from storage.group_files import file_groups
from storage.placement import schemas_with
from storage.registry import default_registry
from tests.research.helpers import PURPOSE, audit_details, lead, make, one, request
from tests.risk.conftest import sign_in
from tests.storage.test_key_files_insider import _reopen_with
from toda_desktop.errors import OperationCancelled, PermissionDenied, UserFacingError
from toda_desktop.export_files import ExistingFile
from toda_desktop.research.files import ExtractInfo, planned_paths
from toda_desktop.staff import Staff

REGISTRY = default_registry()


def pseudonyms(files: tuple[Path, ...]) -> set[str]:
    with duckdb.connect() as conn:
        rows = conn.execute(f"SELECT pseudonym FROM '{one(files, '_pupils.parquet')}'"
                            ).fetchall()
    return {str(r[0]) for r in rows}


def test_the_same_project_gives_the_same_pseudonyms_in_two_extracts(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    signed = lead(demo_store_path)
    try:
        first = make(signed, "追跡研究", tmp_path / "a").files
        second = make(signed, "追跡研究", tmp_path / "b").files
    finally:
        signed.sign_out()
    assert pseudonyms(first) == pseudonyms(second) and len(pseudonyms(first)) > 100


def test_two_projects_pseudonyms_for_the_same_pupils_never_meet(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    signed = lead(demo_store_path)
    try:
        first = make(signed, "研究A", tmp_path / "a").files
        second = make(signed, "研究B", tmp_path / "b").files
    finally:
        signed.sign_out()
    assert len(pseudonyms(first)) == len(pseudonyms(second)) > 100
    assert pseudonyms(first).isdisjoint(pseudonyms(second))


@pytest.mark.parametrize("role", ["director", "liaison", "truancy_support", "it_admin"])
def test_a_role_without_research_export_is_refused_and_the_refusal_logged(
    demo_store_path: Path, role: str,
) -> None:
    signed = sign_in(demo_store_path, role)
    try:
        assert not signed.may("research_export")
        with pytest.raises(PermissionDenied):
            signed.research.variables()
        with pytest.raises(PermissionDenied):
            signed.research.register_project("無断の研究", PURPOSE)
        denied = audit_details(signed, "permission_denied")
    finally:
        signed.sign_out()
    assert any(outcome == "denied" for outcome, _, _ in denied)


def test_a_kind_whose_key_the_analyst_lacks_is_refused_by_name(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "bullying")
    signed, _ = _reopen_with(sign_in(demo_store_path, "data_analyst"), groups)
    try:
        assert "bullying_records" not in {v.kind for v in signed.research.variables()}
        assert "いじめ等の記録" in signed.research.withheld_note()
        signed.research.register_project("いじめ研究", PURPOSE)
        with pytest.raises(PermissionDenied, match="「いじめ等の記録」の鍵をお持ちでないため"):
            signed.research.prepare(request(signed, "いじめ研究",
                                            (("bullying_records", "kind"),)))
    finally:
        signed.sign_out()
    assert not list(tmp_path.glob("*.parquet"))


def test_an_analysts_project_waits_for_the_leads_approval_who_is_then_the_approver(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    analyst = sign_in(demo_store_path, "data_analyst")
    try:
        project = analyst.research.register_project("学力研究", PURPOSE)
        assert project.approved_by is None
        with pytest.raises(PermissionDenied, match="承認がまだありません"):
            analyst.research.prepare(request(analyst, "学力研究"))
        with pytest.raises(PermissionDenied):
            analyst.research.approve_project("学力研究")  # not the analyst's to approve
    finally:
        analyst.sign_out()
    signed = lead(demo_store_path)
    try:
        approver = signed.research.approve_project("学力研究").approved_by
        assert approver == Staff("demo-lead", "デモ 総括", active=True)
    finally:
        signed.sign_out()
    analyst = sign_in(demo_store_path, "data_analyst")
    try:
        make(analyst, "学力研究", tmp_path / "out")
        entries = audit_details(analyst, "research_extract")
    finally:
        analyst.sign_out()
    assert [(o, a) for o, a, _ in entries] == [("started", "demo-analyst"), ("ok", "demo-analyst")]
    assert all(d["approver"] == "demo-lead" and d["purpose"] == PURPOSE for _, _, d in entries)


def test_the_audit_entry_carries_purpose_approver_and_the_disclosure_figures(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    signed = lead(demo_store_path)
    try:
        written = make(signed, "不登校研究", tmp_path / "out")
        entries = audit_details(signed, "research_extract")
        projects = audit_details(signed, "research_project")
    finally:
        signed.sign_out()
    assert [o for o, _, _ in entries] == ["started", "ok"]
    detail = entries[-1][2]
    assert detail["purpose"] == PURPOSE and detail["approver"] == "demo-lead"
    assert detail["project"] == "不登校研究" and detail["k"] == 10
    assert detail["withheld"] == written.summary.withheld
    assert detail["cells_primary"] == written.summary.primary
    assert detail["files"] == len(written.files)
    assert projects[-1][2]["approved"] is True


@pytest.mark.parametrize("column", [("consultations", "summary"), ("enrollments", "pref_id"),
                                    ("students", "name"), ("enrollments", "address_code")])
def test_names_ids_and_free_text_cannot_be_chosen(demo_store_path: Path,
                                                  column: tuple[str, str]) -> None:
    signed = lead(demo_store_path)
    try:
        signed.research.register_project("範囲外", PURPOSE)
        with pytest.raises(UserFacingError, match="含められません"):
            signed.research.prepare(request(signed, "範囲外", (column,)))
    finally:
        signed.sign_out()


def test_an_extract_needs_a_purpose_and_a_registered_project(demo_store_path: Path) -> None:
    signed = lead(demo_store_path)
    try:
        with pytest.raises(UserFacingError, match="登録されていません"):
            signed.research.prepare(request(signed, "未登録"))
        signed.research.register_project("登録済み", PURPOSE)
        with pytest.raises(UserFacingError, match="利用目的を入力"):
            signed.research.prepare(request(signed, "登録済み", purpose="  "))
        with pytest.raises(UserFacingError, match="既に登録"):
            signed.research.register_project("登録済み", PURPOSE)
    finally:
        signed.sign_out()


def test_an_existing_file_stops_the_extract_before_anything_is_written_or_logged(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    signed = lead(demo_store_path)
    try:
        signed.research.register_project("衝突", PURPOSE)
        prepared = signed.research.prepare(request(signed, "衝突"))
        info = ExtractInfo("衝突", PURPOSE, "demo-lead", "demo-lead", prepared.made_at,
                           prepared.request.years, prepared.variables)
        out = tmp_path / "out"
        out.mkdir()
        paths = planned_paths(out, prepared.built, info)
        paths[3].write_text("already here")
        with pytest.raises(ExistingFile):
            signed.research.write(prepared, out)
        entries = audit_details(signed, "research_extract")
    finally:
        signed.sign_out()
    assert [p.name for p in out.iterdir()] == [paths[3].name]
    assert entries == []


def test_a_cancelled_extract_stops_without_a_file(demo_store_path: Path) -> None:
    signed = lead(demo_store_path)
    try:
        signed.research.register_project("中止", PURPOSE)
        with pytest.raises(OperationCancelled):
            signed.research.prepare(request(signed, "中止"), cancel=lambda: True)
    finally:
        signed.sign_out()


def test_the_project_keys_live_in_the_research_groups_file_only(demo_store_path: Path) -> None:
    """Names and purposes in the master's file (approval needs no key); the keys apart, in
    the ``research`` group's file (``test_project_keys_insider.py``)."""
    signed = lead(demo_store_path)
    try:
        signed.research.register_project("鍵の場所", PURPOSE)
        where = signed.store.db.read(lambda c: schemas_with(c, "research_projects"))
        keys = signed.store.db.read(lambda c: schemas_with(c, "research_project_keys"),
                                    kind="research")
        columns = signed.store.db.read(lambda c: [r[1] for r in c.execute(
            "PRAGMA g_basic.table_info('research_projects')")])
    finally:
        signed.sign_out()
    assert where == ["g_basic"] and keys == ["g_research"]
    assert "project_key" not in columns


def test_an_account_without_the_basic_key_cannot_even_see_the_project_keys_table(
    demo_store_path: Path,
) -> None:
    """The IT administrator's password opens the store file only: the projects and their
    keys are in the master group's file, which it cannot attach."""
    signed = lead(demo_store_path)
    try:
        signed.research.register_project("鍵を守る", PURPOSE)
    finally:
        signed.sign_out()
    it = sign_in(demo_store_path, "it_admin")
    try:
        assert it.store.db.read(lambda c: schemas_with(c, "research_projects")) == []
    finally:
        it.sign_out()
