"""Keys follow the permission map: each role holds exactly its groups; changes rewrap (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.errors import NotAHolder, WrongCredentials
from storage.key_groups import key_groups
from storage.keys import KeyFile
from storage.registry import default_registry
from storage.store import Store
from tests.services.test_sign_in import WallClock
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.policy.model import default_policy
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD
from toda_desktop.throttle import ThrottleBook

NEW_PASSWORD = "a long new passphrase 2026"


def _expected(role_key: str) -> set[str]:
    """The groups whose every kind the role sees, computed from the map and the registry."""
    registry = default_registry()
    role = default_policy().role(role_key)
    return {g.name for g in key_groups(registry)
            if (role.may("research_export") if g.name == "research"  # issue 13: no kinds
                else role.may("audit_view") and role.sees(registry.master)
                if g.name == "audit_reader"  # the audit reader's key: no kinds either
                else all(role.sees(registry.kind(k)) for k in g.kinds))}


def _app(path: Path) -> Application:
    sim = Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())

    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=WallClock())


def _groups(path: Path, login: str, password: str) -> set[str]:
    with Store.open(path, login, password) as store:
        return set(store.keys.groups)


@pytest.mark.parametrize("role", sorted(DEMO_LOGINS))
def test_each_roles_password_unlocks_exactly_the_groups_of_its_role(
    demo_store_path: Path, role: str
) -> None:
    login = DEMO_LOGINS[role][0]
    assert _groups(demo_store_path, login, DEMO_PASSWORD) == _expected(role)


def test_the_liaison_holds_no_bullying_key_and_the_it_admin_no_data_key(
    demo_store_path: Path,
) -> None:
    """Finding 1: the liaison's password no longer yields the bullying records' key."""
    liaison = _groups(demo_store_path, "demo-liaison", DEMO_PASSWORD)
    assert liaison and all(g.split("-")[0] in {"basic", "other_department"} for g in liaison)
    assert not any("bullying" in g for g in liaison)
    assert _groups(demo_store_path, "demo-it", DEMO_PASSWORD) == set()


def test_a_disabled_account_cannot_open_the_store(demo_store_path: Path) -> None:
    """Finding 8: disabling removes the key slot, so Store.open refuses the password."""
    app = _app(demo_store_path)
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    lead.account_admin.set_enabled("demo-bullying", False)
    lead.sign_out()
    with pytest.raises(WrongCredentials):
        Store.open(demo_store_path, "demo-bullying", DEMO_PASSWORD)


def test_enabling_again_needs_a_new_password_and_new_grants(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    lead.account_admin.set_enabled("demo-bullying", False)
    with pytest.raises(UserFacingError, match="新しいパスワード"):
        lead.account_admin.set_enabled("demo-bullying", True)
    lead.account_admin.set_enabled("demo-bullying", True, NEW_PASSWORD)
    lead.sign_out()
    # The lead chose the password itself and holds the keys: it gave them (a new key pair).
    assert _groups(demo_store_path, "demo-bullying", NEW_PASSWORD) == _expected(
        "bullying_support")
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.set_enabled("demo-bullying", False)
    it.account_admin.set_enabled("demo-bullying", True, NEW_PASSWORD + "!")
    assert [p.login_id for p in it.account_admin.pending_grants()] == ["demo-bullying"]
    it.sign_out()
    assert _groups(demo_store_path, "demo-bullying", NEW_PASSWORD + "!") == set()


def test_disabling_rotates_the_keys_the_account_held(demo_store_path: Path) -> None:
    before = KeyFile.load(demo_store_path)
    with Store.open(demo_store_path, "demo-lead", DEMO_PASSWORD) as store:
        old_keys = dict(store.keys.groups)
    app = _app(demo_store_path)
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    lead.account_admin.set_enabled("demo-bullying", False)
    lead.sign_out()
    with Store.open(demo_store_path, "demo-lead", DEMO_PASSWORD) as store:
        new_keys = dict(store.keys.groups)
    after = KeyFile.load(demo_store_path)
    for group in _expected("bullying_support"):
        assert new_keys[group] != old_keys[group]
        assert after.generations[group] == before.generations[group] + 1
    for group in set(old_keys) - _expected("bullying_support"):
        assert new_keys[group] == old_keys[group]
    # Those who still hold the group got the new key.
    assert _groups(demo_store_path, "demo-truancy", DEMO_PASSWORD) == _expected("truancy_support")
    with Store.open(demo_store_path, "demo-director", DEMO_PASSWORD) as director:
        # (every group but the research projects' keys and the audit reader's: the director
        # makes no extracts and does not read the audit log)
        assert dict(director.keys.groups) == {g: k for g, k in new_keys.items()
                                              if g not in ("research", "audit_reader")}


def test_a_role_change_revokes_what_the_new_role_does_not_see_and_waits_for_the_rest(
    demo_store_path: Path,
) -> None:
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.change_role("demo-liaison", "bullying_support")
    pending = {p.login_id: p for p in it.account_admin.pending_grants()}
    assert pending["demo-liaison"].missing == tuple(sorted(
        _expected("bullying_support") - _expected("liaison")))
    assert not pending["demo-liaison"].can_complete  # the IT administrator holds no key
    with pytest.raises(UserFacingError, match="鍵をお持ちでない"):
        it.account_admin.complete_grants("demo-liaison")
    it.sign_out()
    kept = _expected("liaison") & _expected("bullying_support")
    assert _groups(demo_store_path, "demo-liaison", DEMO_PASSWORD) == kept
    # other_department was withdrawn: its key is due for rotation by a holder.
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    assert lead.account_admin.rotations_due() == ("他部局",)
    assert lead.account_admin.complete_rotations() == ("他部局",)
    assert lead.account_admin.rotations_due() == ()
    assert lead.account_admin.complete_grants("demo-liaison")
    assert lead.account_admin.pending_grants() == []
    lead.sign_out()
    assert _groups(demo_store_path, "demo-liaison", DEMO_PASSWORD) == _expected(
        "bullying_support")


def test_nobody_can_grant_a_group_the_accounts_role_does_not_see(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    assert lead.account_admin.complete_grants("demo-liaison") == ()  # nothing is missing
    lead.sign_out()
    assert _groups(demo_store_path, "demo-liaison", DEMO_PASSWORD) == _expected("liaison")


def test_a_policy_edit_removing_a_domain_revokes_and_rotates_its_key(
    demo_store_path: Path,
) -> None:
    app = _app(demo_store_path)
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    with Store.open(demo_store_path, "demo-lead", DEMO_PASSWORD) as store:
        old = store.keys.groups["other_department"]
    text = lead.policy_admin.current_text()
    narrowed = text.replace('domains = ["basic", "other_department"]', 'domains = ["basic"]')
    assert narrowed != text
    lead.policy_admin.update(narrowed)
    lead.sign_out()
    assert not any(g.startswith("other_department")
                   for g in _groups(demo_store_path, "demo-liaison", DEMO_PASSWORD))
    with Store.open(demo_store_path, "demo-lead", DEMO_PASSWORD) as store:
        assert store.keys.groups["other_department"] != old
    # Widening the map again: the editor (a holder) gives the key back at once.
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    lead.policy_admin.update(text)
    lead.sign_out()
    assert _groups(demo_store_path, "demo-liaison", DEMO_PASSWORD) == _expected("liaison")


def test_an_own_password_change_keeps_the_keys(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    user = app.sign_in("demo-truancy", DEMO_PASSWORD)
    with pytest.raises(UserFacingError, match="現在のパスワード"):
        user.own_password.change_password("wrong password", NEW_PASSWORD)
    user.own_password.change_password(DEMO_PASSWORD, NEW_PASSWORD)
    user.sign_out()
    assert _groups(demo_store_path, "demo-truancy", NEW_PASSWORD) == _expected("truancy_support")
    with pytest.raises(WrongCredentials):
        Store.open(demo_store_path, "demo-truancy", DEMO_PASSWORD)


def _damage_own_entry(path: Path, login: str) -> None:
    keys_path = KeyFile.path_for(path)
    raw = json.loads(keys_path.read_text(encoding="utf-8"))
    slot = KeyFile.load(path).account_slot(login)
    raw["accounts"][slot]["private"]["ct"] = "AAAA" + raw["accounts"][slot]["private"]["ct"][4:]
    keys_path.write_text(json.dumps(raw), encoding="utf-8")


def test_a_damaged_wrap_at_sign_in_says_damaged_and_is_not_counted(
    demo_store_path: Path,
) -> None:
    """Finding 14: no lockout from a damaged entry, and the message says what happened."""
    _damage_own_entry(demo_store_path, "demo-analyst")
    app = _app(demo_store_path)
    for _ in range(12):
        with pytest.raises(SignInError, match="壊れています") as caught:
            app.start_sign_in("demo-analyst", DEMO_PASSWORD)
        assert "正しくありません" not in caught.value.message_ja
    book = ThrottleBook.load(demo_store_path, WallClock())
    slot = KeyFile.load(demo_store_path).account_slot("demo-analyst")
    assert not book.is_locked(slot)
    assert book.take_pending() == []


def test_only_a_holder_can_seal_a_key_to_an_account(demo_store_path: Path) -> None:
    """The liaison, through the product's Store API, cannot give the bullying key it lacks."""
    with Store.open(demo_store_path, "demo-liaison", DEMO_PASSWORD) as store:
        bullying = next(g for g in _expected("bullying_support") if g.startswith("bullying"))
        with pytest.raises(NotAHolder):
            store.grant_groups("demo-truancy", [bullying])
    assert bullying not in _groups(demo_store_path, "demo-truancy", DEMO_PASSWORD)


def test_each_key_step_is_in_the_audit_log(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.change_role("demo-liaison", "bullying_support")
    it.account_admin.reset_password("demo-truancy", NEW_PASSWORD)
    it.sign_out()
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    lead.account_admin.complete_grants("demo-liaison")
    lead.account_admin.complete_rotations()
    rows = lead.audit_view.entries(AuditFilter())
    lead.sign_out()
    seen = {(r.actor, r.action, r.outcome_label) for r in rows}
    assert {
        ("demo-it", "keys_revoked", "成功"),
        ("demo-it", "key_rotation_due", "成功"),
        ("demo-it", "password_reset", "成功"),
        ("demo-lead", "keys_granted", "成功"),
        ("demo-lead", "key_rotated", "成功"),
    } <= seen
    labels = {r.action: r.action_label for r in rows}
    assert labels["keys_granted"] == "データの鍵の付与"
