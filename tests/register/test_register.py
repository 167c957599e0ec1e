"""The 個人情報ファイル簿 is generated from the registry and the permission map (issue 13):
every kind with personal data is in it once, its roles are the map's (a change of the map
changes the register), its retention is the registry's, it holds no personal data, and
writing it is a logged export for the lead or an administrator only."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from storage.key_groups import key_groups
from storage.registry import default_registry
from tests.search.helpers import demo_sessions
from toda_desktop.audit.service import AuditFilter
from toda_desktop.cli import main
from toda_desktop.errors import PermissionDenied
from toda_desktop.policy.model import Policy, default_policy, policy_to_toml
from toda_desktop.register.model import HEADER, build_register, register_rows, render_markdown
from toda_desktop.register.settings import RegisterSettingsError, default_settings
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

DAY = date(2026, 12, 7)


def _register(policy: Policy | None = None):  # type: ignore[no-untyped-def]
    return build_register(default_registry(), policy or default_policy(), default_settings(),
                          DAY)


def _with_domains(policy: Policy, role: str, *domains: str) -> Policy:
    return replace(policy, roles=tuple(
        replace(r, domains=r.domains | set(domains)) if r.key == role else r
        for r in policy.roles))


def test_every_kind_with_personal_data_is_in_exactly_one_file_and_no_other_kind_is() -> None:
    registry = default_registry()
    register = _register()
    listed = [kind for f in register.files for kind in f.kinds]
    pupil_kinds = [k.label for k in registry.kinds if k.pupil]
    assert sorted(listed) == sorted(pupil_kinds)
    assert "学校基礎情報" not in listed and "調査設問マスタ" not in listed
    for f in register.files:
        for kind_label, columns, _linked in f.items:
            kind = next(k for k in registry.kinds if k.label == kind_label)
            assert columns == tuple(c.label for c in kind.stored_columns)


def test_the_roles_of_each_file_are_the_maps_roles_that_see_its_kinds() -> None:
    registry = default_registry()
    policy = default_policy()
    groups = {g.name: g for g in key_groups(registry)}
    for f in _register(policy).files:
        kinds = [registry.kind(n) for n in groups[f.group].kinds if registry.kind(n).pupil]
        expected = [r.key for r in policy.roles
                    if r.may("view") and any(r.sees(k) for k in kinds)]
        assert [r.key for r in f.roles] == expected
        assert "it_admin" not in expected  # separation of duties: sees no pupil data
    health = next(f for f in _register(policy).files if f.group == "health")
    assert "liaison" not in [r.key for r in health.roles]


def test_changing_the_map_changes_the_register() -> None:
    before = _register()
    changed = _with_domains(default_policy(), "liaison", "health")
    after = _register(changed)
    health = next(f for f in after.files if f.group == "health")
    assert "liaison" in [r.key for r in health.roles]
    assert before.files != after.files
    former = replace(changed, roles=tuple(replace(r, former_pupils=True) if r.key == "liaison"
                                          else r for r in changed.roles))
    basic = next(f for f in _register(former).files if f.group == "basic")
    row = register_rows(_register(former))[0]
    assert basic.group == "basic" and "庁内他部局調整職員（閲覧。卒業・転出後も可）" in row[10]


def test_retention_comes_from_the_registrys_classes() -> None:
    registry = default_registry()
    for f in _register().files:
        for line in f.retention:
            for label in line.kinds:
                kind = next(k for k in registry.kinds if k.label == label)
                rc = registry.retention(kind.retention)
                assert (line.label, line.period, line.action, line.basis) == (
                    rc.label, rc.period_label, rc.action_label, rc.basis)
    basic = register_rows(_register())[0]
    assert "20年" in basic[HEADER.index("保存期間とその後の扱い")]


def test_a_group_of_personal_data_without_register_settings_is_refused() -> None:
    settings = default_settings()
    missing = replace(settings, files=tuple(f for f in settings.files if f.group != "health"))
    with pytest.raises(RegisterSettingsError, match="health"):
        build_register(default_registry(), default_policy(), missing, DAY)


def test_the_markdown_has_a_section_per_file() -> None:
    register = _register()
    text = render_markdown(register)
    assert text.count("\n## ") == len(register.files)
    assert "個人情報そのものは含みません" in text


@pytest.fixture
def demo_env(demo_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["project_lead"][0])
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    return demo_store_path


def _file_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".md"])
def test_the_command_writes_the_register_without_personal_data_and_logs_it(
    demo_env: Path, tmp_path: Path, suffix: str,
) -> None:
    target = tmp_path / f"ファイル簿{suffix}"
    out = io.StringIO()
    assert main(["register", "--store", str(demo_env), "--out", str(target)], out=out) == 0
    assert "個人情報ファイル簿" in out.getvalue()
    text = _file_text(target)
    assert "児童生徒基本情報ファイル" in text and "教育相談記録ファイル" in text
    with demo_sessions(demo_env, ("project_lead",)) as signed:
        lead = signed["project_lead"]
        pupils = lead.store.db.call(lambda c: c.execute(
            "SELECT name, name_kana, address_code FROM ds_students").fetchall())
        exports = lead.audit_view.entries(AuditFilter(action="export"))
    assert len(pupils) > 100
    for name, kana, address in pupils:
        for value in (name, kana, address):
            assert str(value) not in text
    assert [e.outcome_label for e in exports if e.target_text == "個人情報ファイル簿"] == [
        "成功", "開始"]  # newest first
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert tuple(rows[0]) == HEADER and len(rows) == 1 + len(_register().files)


def test_the_register_follows_the_map_saved_in_the_store(demo_store_path: Path) -> None:
    with demo_sessions(demo_store_path, ("project_lead",)) as signed:
        lead = signed["project_lead"]
        policy = _with_domains(default_policy(), "liaison", "health")
        lead.policy_admin.update(policy_to_toml(policy))
        health = next(f for f in lead.register.register().files if f.group == "health")
    assert "liaison" in [r.key for r in health.roles]


def test_only_the_lead_and_administrators_make_the_register_and_a_refusal_is_logged(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    with demo_sessions(demo_store_path, ("liaison", "it_admin", "project_lead")) as signed:
        with pytest.raises(PermissionDenied):
            signed["liaison"].register.export(tmp_path / "x.md")
        assert not (tmp_path / "x.md").exists()
        assert signed["it_admin"].register.export(tmp_path / "admin.md").rows == len(
            _register().files)
        denied = signed["project_lead"].audit_view.entries(
            AuditFilter(actor=DEMO_LOGINS["liaison"][0], action="permission_denied"))
    assert denied
