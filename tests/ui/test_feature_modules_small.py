"""The import wizard and the 抽出 page stay split by idea (issue 11): every module of their
homes is short and says in its docstring what it is for."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"
HOMES = ("importing", "extraction")
MAX_LINES = 350


def _modules() -> list[Path]:
    return sorted(p for home in HOMES for p in (UI / home).rglob("*.py"))


def test_every_module_of_the_import_and_extraction_homes_is_short() -> None:
    long = {str(p.relative_to(UI)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_module_of_the_import_and_extraction_homes_says_its_idea() -> None:
    silent = [str(p.relative_to(UI)) for p in _modules()
              if not (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").strip()]
    assert silent == []


def test_the_wizard_has_one_module_per_step() -> None:
    flow = {p.stem for p in (UI / "importing" / "flow").glob("*.py")} - {"__init__"}
    assert flow == {"files", "mapping", "preview", "values", "commit"}
