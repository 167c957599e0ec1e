"""The window writes what services hand over as values; it never reads their sentences.

Services return school years, months, days and counts as values (``toda_desktop.phrase``),
and the pages write them through ``toda_desktop.formatting`` in the user's date style. A
regular expression in ``ui/`` is how rewriting a service's text (西暦 → 和暦) crept in
before, so ``ui/`` uses none at all, and the old helpers stay gone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ui.pupil_tables

ROOT = Path(__file__).resolve().parents[2]


def regex_uses(tree: ast.AST) -> list[int]:
    """Lines that import the ``re`` module (or anything from it)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "re" for a in node.names):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "re":
            lines.append(node.lineno)
    return lines


def test_no_module_under_ui_uses_regular_expressions() -> None:
    found = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found += [f"{path.relative_to(ROOT)}:{line}" for line in regex_uses(tree)]
    assert found == []


def test_the_check_sees_an_import_of_re() -> None:
    assert regex_uses(ast.parse("import re\nfrom re import sub\n")) == [1, 2]
    assert regex_uses(ast.parse("import json\n")) == []


def test_pupil_tables_no_longer_rewrites_years_in_text() -> None:
    for name in ("years_in", "dates_in"):
        assert not hasattr(ui.pupil_tables, name)
