"""Issue 12, finding 4: the frozen build ignores PYTHONPATH and user site-packages.

The spec must run the runtime hook, and the hook, run as the frozen application runs it,
must leave only the bundle on ``sys.path`` and drop the variables from the environment.
"""

from __future__ import annotations

import ast
import os
import runpy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "installer" / "toda_desktop.spec"
HOOK = REPO / "installer" / "rthooks" / "isolate_sys_path.py"


def _analysis_keyword(name: str) -> ast.expr:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "Analysis"]
    assert len(calls) == 1
    (value,) = [k.value for k in calls[0].keywords if k.arg == name]
    return value


def test_the_spec_runs_the_isolating_runtime_hook() -> None:
    hooks = _analysis_keyword("runtime_hooks")
    assert isinstance(hooks, ast.List) and len(hooks.elts) == 1
    parts = [n.value for n in ast.walk(hooks.elts[0]) if isinstance(n, ast.Constant)]
    assert sorted(parts) == ["installer", "isolate_sys_path.py", "rthooks"]
    assert HOOK.is_file()


def test_the_hook_leaves_only_the_bundle_on_sys_path_when_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "toda-desktop" / "_internal"
    planted = tmp_path / "pythonpath"
    user_site = tmp_path / "home" / ".local" / "lib" / "site-packages"
    look_alike = tmp_path / "toda-desktop" / "_internal-evil"
    isolate = runpy.run_path(str(HOOK))["isolate"]  # not frozen yet: loading changes nothing
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setattr(sys, "path", [str(bundle / "base_library.zip"), str(planted),
                                      str(bundle), str(user_site), str(look_alike),
                                      str(bundle / "lib-dynload")])
    monkeypatch.setenv("PYTHONPATH", str(planted))
    monkeypatch.setenv("PYTHONUSERBASE", str(user_site))
    isolate()  # as the bootloader runs the hook, before the application
    assert sys.path == [str(bundle / "base_library.zip"), str(bundle),
                        str(bundle / "lib-dynload")]
    assert "PYTHONPATH" not in os.environ and "PYTHONUSERBASE" not in os.environ


def test_the_hook_changes_nothing_outside_a_frozen_build(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    before = list(sys.path)
    monkeypatch.delattr(sys, "frozen", raising=False)
    runpy.run_path(str(HOOK))
    assert sys.path == before
