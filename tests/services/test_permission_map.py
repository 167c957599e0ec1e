"""Every role × every function × every data domain, through the service layer.

The expectation is written here from the city's map (DESIGN.md, "Users and roles"), not read
from resources/policy.toml, so the test fails if the policy file drifts from the map.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.registry import default_registry
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

ALL_KINDS = set(default_registry().names)
BASIC = {"students", "schools", "enrollments"}
FUNCTIONS = ("admin", "pupil_search", "view", "edit", "import", "export", "export_aggregate",
             "print", "analysis", "audit_view", "policy_edit")
FULL_VIEW = {"pupil_search", "view", "export", "export_aggregate", "print", "analysis"}
# 室長, 課長 and 所長 export aggregates only (issue 13): no file that identifies a pupil.
AGGREGATE_VIEW = {"pupil_search", "view", "export_aggregate", "print", "analysis"}
EXPECTED_FUNCTIONS = {
    "director": AGGREGATE_VIEW,
    "section_chief": AGGREGATE_VIEW,
    "center_director": AGGREGATE_VIEW,
    "project_lead": set(FUNCTIONS),
    "data_analyst": FULL_VIEW | {"edit", "import"},
    "liaison": {"pupil_search", "view"},
    # Support staff print sheets for case meetings (watermarked, logged, chased; issue 14).
    "truancy_support": {"pupil_search", "view", "print"},
    "bullying_support": {"pupil_search", "view", "print"},
    "it_admin": {"admin", "audit_view"},
}
EXPECTED_KINDS = {
    "director": ALL_KINDS,
    "section_chief": ALL_KINDS,
    "center_director": ALL_KINDS,
    "project_lead": ALL_KINDS,
    "data_analyst": ALL_KINDS,
    "liaison": BASIC | {"infant_checkups", "preschool"},
    "truancy_support": BASIC | {"attendance_monthly", "attendance_term", "health_room_visits",
                                "long_absence", "consultations"},
    "bullying_support": BASIC | {"bullying_records"},
    "it_admin": set(),
}


@pytest.fixture(scope="module")
def sessions(
    _demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, SignedIn]]:
    from tests.conftest import copy_store

    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("map") / "demo.tdb")
    signed: dict[str, SignedIn] = {}
    for role, (login, _) in DEMO_LOGINS.items():
        sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

        def factory(kind: str, sim: Simulator = sim) -> Scanner:
            require_real_scanner_for(kind, sim)
            return sim

        signed[role] = Application(path, scanner_factory=factory).sign_in(login, DEMO_PASSWORD)
    # Whole datasets here are about the rights; the lead's approval of bulk exports is
    # tested in test_export_purpose.py.
    signed["project_lead"].export_purposes.set_threshold(1_000_000)
    yield signed
    for s in signed.values():
        s.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module (one store); the module fixture closes them."""


def _pupil_with(signed: SignedIn, kind: str) -> int:
    table = default_registry().kind(kind).table
    column = "id" if kind == "students" else "pupil_id"
    return int(signed.store.db.call(
        lambda c: c.execute(f"SELECT {column} FROM {table} LIMIT 1").fetchone()[0]))


def _record_id(signed: SignedIn, kind: str) -> int:
    table = default_registry().kind(kind).table
    return int(signed.store.db.call(
        lambda c: c.execute(f"SELECT id FROM {table} LIMIT 1").fetchone()[0], kind=kind))


def _allowed(action: object) -> bool:
    try:
        action()  # type: ignore[operator]
    except PermissionDenied as denied:
        assert "権限" in denied.message_ja
        return False
    return True


@pytest.mark.parametrize("role", sorted(EXPECTED_FUNCTIONS))
def test_functions_match_the_map(sessions: dict[str, SignedIn], role: str, tmp_path: Path) -> None:
    signed = sessions[role]
    actual = {f for f in FUNCTIONS if signed.may(f)}
    assert actual == EXPECTED_FUNCTIONS[role]
    # Through the services that exist for each function (the gate for the rest).
    assert _allowed(lambda: signed.account_admin.list_accounts()) == ("admin" in actual)
    assert _allowed(lambda: signed.check_integrity()) == ("admin" in actual)
    assert _allowed(lambda: signed.audit_view.entries()) == ("audit_view" in actual)
    for function in ("pupil_search", "import", "print", "analysis"):
        assert _allowed(lambda f=function: signed.require(f)) == (function in actual)


@pytest.mark.parametrize("role", sorted(EXPECTED_KINDS))
@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_each_dataset_domain_matches_the_map(
    sessions: dict[str, SignedIn], role: str, kind: str, tmp_path: Path
) -> None:
    signed = sessions[role]
    registry_kind = default_registry().kind(kind)
    sees = kind in EXPECTED_KINDS[role]
    functions = EXPECTED_FUNCTIONS[role]
    visible = {k.name for k in signed.visible_kinds()}
    assert (kind in visible) == sees
    if registry_kind.pupil:
        pupil = _pupil_with(sessions["project_lead"], kind)
        can_view = _allowed(lambda: signed.karte.records(pupil, kind))
        assert can_view == (sees and "view" in functions)
        if "view" in functions:
            listed = {d.kind for d in signed.karte.open(pupil).linked}
            assert (kind in listed) == sees
    can_export = _allowed(lambda: signed.records.export_dataset(
        kind, tmp_path / f"{kind}.csv", purpose=Purpose("ケース会議の資料")))
    exports = "export" in functions or (
        not registry_kind.pupil and "export_aggregate" in functions)
    assert can_export == (sees and exports)
    assert (tmp_path / f"{kind}.csv").exists() == can_export
    column = registry_kind.stored_columns[-1].key
    record = _record_id(sessions["project_lead"], kind)
    # (read with the lead's keys: the role's own store has no file for a kind it does not see)
    value = sessions["project_lead"].store.db.call(
        lambda c: c.execute(f"SELECT {column} FROM {registry_kind.table} WHERE id = ?",
                            (record,)).fetchone()[0], kind=kind)
    can_edit = _allowed(lambda: signed.records.update(kind, record, column, value))
    assert can_edit == (sees and "edit" in functions)


def test_it_admin_reads_no_pupil_data_by_any_path(sessions: dict[str, SignedIn]) -> None:
    it = sessions["it_admin"]
    lead = sessions["project_lead"]
    pupil = _pupil_with(lead, "students")
    lead.karte.records(pupil, "students")  # leaves a pupil-related audit entry
    assert it.visible_kinds() == ()
    for action in (lambda: it.karte.open(pupil),
                   lambda: it.karte.records(pupil, "students")):
        assert not _allowed(action)
    overview = it.overview()  # the store's health only: no data key, so no pupil total
    assert overview.pupil_count is None
    assert overview.datasets == ()
    last = overview.last_import
    assert last is not None and last.kind_label == last.source_name == "（非表示）"
    assert last.imported_by == "（非表示）" and last.row_count is None  # found in review
    liaison = sessions["liaison"]  # counts only of what the role may see (found by QA)
    assert {d.kind for d in liaison.overview().datasets} == {
        k.name for k in liaison.visible_kinds()}
    rows = it.audit_view.entries(AuditFilter())
    assert rows and all(r.pupil_id is None for r in rows)
    assert all(r.detail_text in ("", "（非表示）") for r in rows)
    accounts = it.account_admin.list_accounts()
    assert {a.login_id for a in accounts} >= {"demo-it", "demo-lead"}


def test_denials_are_audit_logged(sessions: dict[str, SignedIn]) -> None:
    assert not _allowed(lambda: sessions["bullying_support"].karte.records(1, "consultations"))
    rows = sessions["project_lead"].audit_view.entries(AuditFilter(actor="demo-bullying",
                                                      action="permission_denied"))
    assert any(r.target_text == "閲覧: 教育相談・SC/SSW相談" for r in rows)


def test_one_gate_for_a_dataset_kind(sessions: dict[str, SignedIn]) -> None:
    """``Gate.require_kind``: the function, then a known kind within the role's need to
    know (and about pupils where asked); refusals are logged with function and kind."""
    lead = sessions["project_lead"]
    school_kind = next(k.name for k in default_registry().kinds if not k.pupil)
    assert lead.gate.require_kind("view", school_kind).name == school_kind
    assert not _allowed(lambda: lead.gate.require_kind("view", school_kind, pupil=True))
    with pytest.raises(UserFacingError, match="そのデータの種類はありません"):
        lead.gate.require_kind("view", "no_such_kind")
    assert not lead.gate.sees("no_such_kind")
    truancy = sessions["truancy_support"]
    assert truancy.gate.sees("consultations") and not truancy.gate.sees("bullying_records")
    assert not _allowed(lambda: truancy.gate.require_kind("export", "attendance_monthly"))
    rows = lead.audit_view.entries(AuditFilter(action="permission_denied"))
    targets = {(r.actor, r.target_text) for r in rows}
    school_label = default_registry().kind(school_kind).label
    assert {("demo-lead", f"閲覧: {school_label}"), ("demo-truancy", "出力")} <= targets


def test_only_the_project_lead_edits_the_map_and_it_applies_at_next_sign_in(
    demo_store_path: Path,
) -> None:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        return sim

    app = Application(demo_store_path, scanner_factory=factory)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    assert not _allowed(lambda: it.policy_admin.update("x"))
    it.sign_out()
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    text = lead.policy_admin.current_text()
    from toda_desktop.errors import UserFacingError

    with pytest.raises(UserFacingError, match=r"書き方に誤り.*1行目"):
        lead.policy_admin.update("[roles.x\n")
    with pytest.raises(UserFacingError, match="使用中の役割"):
        lead.policy_admin.update(text.split("[roles.it_admin]")[0])
    edited = text.replace('domains = ["basic", "other_department"]',
                          'domains = ["basic", "other_department", "health"]')
    lead.policy_admin.update(edited)
    rows = lead.audit_view.entries(AuditFilter(action="policy_changed"))
    assert rows[0].detail_text == "変更内容: 庁内他部局調整職員: 保健を追加"  # in words (QA)
    lead.sign_out()
    liaison = app.sign_in("demo-liaison", DEMO_PASSWORD)
    assert "health_checkups" in {k.name for k in liaison.visible_kinds()}
    liaison.sign_out()


def test_ids_a_role_may_not_see_are_left_out_of_records_and_the_karte(
    sessions: dict[str, SignedIn],
) -> None:
    pupil = _pupil_with(sessions["project_lead"], "enrollments")
    lead = sessions["project_lead"].karte.records(pupil, "enrollments")
    assert {"pref_id", "google_account"} <= set(lead.keys)
    for role in ("liaison", "truancy_support", "bullying_support"):
        table = sessions[role].karte.records(pupil, "enrollments")
        assert not {"pref_id", "google_account"} & set(table.keys)
        assert all(len(row) == len(table.keys) for row in table.rows)
        header = sessions[role].karte.open(pupil).header
        assert not {"pref_id", "google_account"} & {i.key for i in header.identifiers}


def test_the_map_written_from_the_table_reads_back_the_same() -> None:
    """``policy_to_toml`` (used when the lead changes the map in the table) loses nothing."""
    from dataclasses import replace

    from toda_desktop.policy.model import default_policy, parse_policy_text, policy_to_toml

    policy = default_policy()
    assert parse_policy_text(policy_to_toml(policy)) == policy
    odd = replace(policy.roles[0], key="role with space", label='引用符"と\\記号')
    edited = replace(policy, roles=(*policy.roles, odd))
    assert parse_policy_text(policy_to_toml(edited)) == edited
    assert policy_to_toml(policy).startswith("# 権限設定（市の権限対応表）")
