"""Issue 12, finding 4: scanner backends by allowlist, not by what a plugin says of itself.

The attack: a package put on ``PYTHONPATH`` with an entry point in ``toda_desktop.scanners``
(a real ``dist-info`` folder, as pip would write it) whose backend is a simulator subclass
saying it is not one, or a wrapper around the simulator. It must not sign in to a production
store nor enroll a palm there; only the backends recorded when the store was made are used,
and every sign-in and enrolment entry names the backend that was used.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices import ENTRY_POINT_GROUP
from devices.registry import identify_scanner, installed_vendor_backends
from storage.repos import scanner_backends
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError
from toda_desktop.recovery import grant_recovery_sign_in
from toda_desktop.scanner_admission import BACKEND_REFUSED, NONE_RECORDED, SIMULATOR_REFUSED
from toda_desktop.store_setup import create_empty_store

LYING_SIMULATOR = '''
from devices import FakeClock, Simulator, SimulatorConfig


class HonestScanner(Simulator):
    """A simulator that says it is real hardware."""

    @property
    def is_simulator(self) -> bool:
        return False


class _Backend:
    is_simulator = False
    display_name_ja = "静脈認証スキャナ"

    def create(self, **options):
        return HonestScanner(SimulatorConfig(seed=9, default_subject="lead"), clock=FakeClock())


BACKEND = _Backend()
'''

WRAPPED_SIMULATOR = '''
from devices import FakeClock, Simulator, SimulatorConfig


class VendorScanner:
    """Not a simulator subclass: every call goes to one, and it says it is real."""

    def __init__(self) -> None:
        self._inner = Simulator(SimulatorConfig(seed=9, default_subject="lead"),
                                clock=FakeClock())

    @property
    def is_simulator(self) -> bool:
        return False

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _Backend:
    is_simulator = False
    display_name_ja = "静脈認証スキャナ"

    def create(self, **options):
        return VendorScanner()


BACKEND = _Backend()
'''


def plant_plugin(root: Path, package: str, entry: str, source: str) -> Path:
    """An installed distribution as pip leaves it: the package, and a dist-info folder with
    its metadata, entry point and RECORD. Returns the package's module file."""
    module = root / package / "__init__.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    info = root / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n{entry} = {package}:BACKEND\n", encoding="utf-8")
    (info / "top_level.txt").write_text(package + "\n", encoding="utf-8")
    (info / "RECORD").write_text(
        f"{package}/__init__.py,,\n{info.name}/METADATA,,\n{info.name}/entry_points.txt,,\n"
        f"{info.name}/top_level.txt,,\n{info.name}/RECORD,,\n", encoding="utf-8")
    return module


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path, as PYTHONPATH would put it; the plugins are forgotten after."""
    root = tmp_path / "pythonpath"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        if name.startswith(("evil_palm", "vendor_palm")):
            del sys.modules[name]


def _production_store(path: Path) -> Path:
    created = create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    return path


def _logged(path: Path, action: str) -> list[tuple[str, dict[str, object]]]:
    store = Store.open(path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        rows = store.db.call(lambda c: c.execute(
            "SELECT outcome, detail FROM audit_log WHERE action = ? ORDER BY id",
            (action,)).fetchall())
    finally:
        store.close()
    return [(str(r[0]), json.loads(r[1]) if r[1] else {}) for r in rows]


def test_a_lying_simulator_plugin_cannot_enroll_or_sign_in_on_a_production_store(
    tmp_path: Path, plugin_dir: Path
) -> None:
    path = _production_store(tmp_path / "prod" / "city.tdb")
    plant_plugin(plugin_dir, "evil_palm", "palmsecure", LYING_SIMULATOR)
    assert [b.name for b in installed_vendor_backends()] == ["palmsecure"]
    app = Application(path)  # the product's own scanner choice: the one "real" plugin
    pending = app.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    assert pending.needs_enrollment and pending.may_self_enroll
    with pytest.raises(SignInError) as refused:
        pending.enroll_own_palm()
    assert refused.value.message_ja == SIMULATOR_REFUSED
    pending.cancel()
    (outcome, detail), = _logged(path, "scanner_refused")
    assert outcome == "denied" and detail["scanner"] == "simulator"
    assert _logged(path, "palm_enrolled") == []


def test_a_wrapped_simulator_plugin_is_not_on_the_allowlist_and_is_refused(
    tmp_path: Path, plugin_dir: Path
) -> None:
    path = _production_store(tmp_path / "prod" / "city.tdb")  # made with no vendor driver
    plant_plugin(plugin_dir, "evil_palm", "palmsecure", WRAPPED_SIMULATOR)
    app = Application(path)
    pending = app.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    with pytest.raises(SignInError) as refused:
        pending.enroll_own_palm()
    assert refused.value.message_ja == NONE_RECORDED
    pending.cancel()
    (_, detail), = _logged(path, "scanner_refused")
    assert detail == {"scanner": "palmsecure", "scanner_version": "1.0"}


def test_an_administrator_cannot_enroll_a_palm_with_a_planted_plugin(
    tmp_path: Path, plugin_dir: Path
) -> None:
    path = tmp_path / "prod" / "city.tdb"
    created = create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    grant_recovery_sign_in(path, created.recovery_key, LEAD_LOGIN, "スキャナ故障のため")
    plant_plugin(plugin_dir, "evil_palm", "palmsecure", WRAPPED_SIMULATOR)
    signed = Application(path).start_sign_in(LEAD_LOGIN, LEAD_PASSWORD).use_recovery_grant()
    try:
        with pytest.raises(SignInError, match="登録されていません"):
            signed.account_admin.enroll_palm(LEAD_LOGIN)
    finally:
        signed.sign_out()
    assert _logged(path, "palm_enrolled") == []
    assert _logged(path, "scanner_refused") == [
        ("denied", {"scanner": "palmsecure", "scanner_version": "1.0"})]


def test_the_vendor_plugin_recorded_at_creation_works_and_is_named_in_the_log(
    tmp_path: Path, plugin_dir: Path
) -> None:
    plant_plugin(plugin_dir, "vendor_palm", "palmsecure", WRAPPED_SIMULATOR)
    path = _production_store(tmp_path / "prod" / "city.tdb")
    store = Store.open(path, LEAD_LOGIN, LEAD_PASSWORD)
    try:
        (recorded,) = store.db.call(scanner_backends.accepted)
    finally:
        store.close()
    assert (recorded.name, recorded.version, recorded.simulator) == ("palmsecure", "1.0", False)
    app = Application(path)
    app.sign_in(LEAD_LOGIN, LEAD_PASSWORD).sign_out()  # enrolls on the first sign-in
    app.sign_in(LEAD_LOGIN, LEAD_PASSWORD).sign_out()  # then verifies
    named = {"scanner": "palmsecure", "scanner_version": "1.0"}
    (_, enrolled), = _logged(path, "palm_enrolled")
    assert named.items() <= enrolled.items()
    sign_ins = [d for _, d in _logged(path, "sign_in")]
    assert [d["method"] for d in sign_ins] == ["palm_enrolled", "palm"]
    assert all(named.items() <= d.items() for d in sign_ins)


@pytest.mark.parametrize("tamper", ["change", "add"])
def test_a_changed_or_added_file_in_the_recorded_plugin_is_refused(
    tmp_path: Path, plugin_dir: Path, tamper: str
) -> None:
    module = plant_plugin(plugin_dir, "vendor_palm", "palmsecure", WRAPPED_SIMULATOR)
    path = _production_store(tmp_path / "prod" / "city.tdb")
    if tamper == "change":
        module.write_text(WRAPPED_SIMULATOR + "\n# patched\n", encoding="utf-8")
    else:  # a new module beside it, not listed in RECORD
        (module.parent / "hooks.py").write_text("PATCHED = True\n", encoding="utf-8")
    pending = Application(path).start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    with pytest.raises(SignInError) as refused:
        pending.enroll_own_palm()
    assert refused.value.message_ja == BACKEND_REFUSED
    pending.cancel()


def test_the_identity_comes_from_the_class_not_from_the_plugin(plugin_dir: Path) -> None:
    plant_plugin(plugin_dir, "evil_palm", "palmsecure", LYING_SIMULATOR)
    from evil_palm import BACKEND  # type: ignore[import-not-found]

    scanner = BACKEND.create()
    assert scanner.is_simulator is False
    assert identify_scanner(scanner).simulator is True


def test_only_the_recovery_key_makes_a_store_accept_another_vendor_plugin(
    tmp_path: Path, plugin_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "prod" / "city.tdb"
    created = create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    plant_plugin(plugin_dir, "vendor_palm", "palmsecure", WRAPPED_SIMULATOR)
    monkeypatch.setenv("TODA_RECOVERY_KEY", "0" * 64)
    assert main(["scanners", "accept", "--store", str(path)]) == 2
    assert "回復キー" in capsys.readouterr().err
    monkeypatch.setenv("TODA_RECOVERY_KEY", created.recovery_key)
    assert main(["scanners", "accept", "--store", str(path)]) == 0
    assert "palmsecure 1.0" in capsys.readouterr().out
    Application(path).sign_in(LEAD_LOGIN, LEAD_PASSWORD).sign_out()
    (_, detail), = _logged(path, "scanner_backends_recorded")
    assert detail == {"scanners": ["palmsecure 1.0"]}


def _bundle_into_archive(module: Path, plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the package into a zip archive on sys.path, as PyInstaller compiles it into the
    frozen application: no file of it is left on disk to hash."""
    archive = plugin_dir.parent / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(module, f"{module.parent.name}/__init__.py")
    shutil.rmtree(module.parent)
    monkeypatch.syspath_prepend(str(archive))


@pytest.mark.parametrize("frozen", [True, False], ids=["frozen", "not_frozen"])
def test_a_plugin_without_files_on_disk_passes_only_inside_the_frozen_application(
    tmp_path: Path, plugin_dir: Path, monkeypatch: pytest.MonkeyPatch, frozen: bool
) -> None:
    module = plant_plugin(plugin_dir, "vendor_palm", "palmsecure", WRAPPED_SIMULATOR)
    path = _production_store(tmp_path / "prod" / "city.tdb")
    _bundle_into_archive(module, plugin_dir, monkeypatch)
    if frozen:
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        Application(path).sign_in(LEAD_LOGIN, LEAD_PASSWORD).sign_out()
        (_, enrolled), = _logged(path, "palm_enrolled")
        assert enrolled["scanner"] == "palmsecure"
    else:
        pending = Application(path).start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
        with pytest.raises(SignInError) as refused:
            pending.enroll_own_palm()
        assert refused.value.message_ja == BACKEND_REFUSED
        pending.cancel()
