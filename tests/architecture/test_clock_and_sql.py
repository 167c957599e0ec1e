"""Two house rules checked on the source: time comes from the clock, SQL lives in storage.

Every "now" is read through the application's clock (``toda_desktop/clock.py`` is the one
module that reads the system's), so tests and audits can set the time. SQL text and
``execute`` calls belong in ``storage/`` only; services and pages call repository functions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCK_MODULE = ROOT / "toda_desktop" / "clock.py"
CLOCK_READS = {"now", "today", "utcnow"}
SQL = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\b(CREATE|DROP)\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\s+\w+",
    re.DOTALL,
)
EXECUTE = {"execute", "executemany", "executescript"}


def _python_files(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def clock_reads(tree: ast.AST) -> list[int]:
    """Lines that read the system clock: ``datetime.now()``, ``date.today()`` and the like
    (also as a bare reference, e.g. a ``clock=datetime.now`` default)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_READS:
            base = node.value
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name in ("datetime", "date"):
                lines.append(node.lineno)
    return lines


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, placeholders as {}
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def sql_uses(tree: ast.AST) -> list[int]:
    """Lines with SQL text or a call of ``execute``/``executemany``/``executescript``."""
    lines = []
    for node in ast.walk(tree):
        text = _text(node)
        if text is not None and SQL.search(text):
            lines.append(getattr(node, "lineno", 0))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in EXECUTE):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_scans_recognise_clock_reads_and_sql() -> None:
    """The checks below would catch the forms that were in the code before."""
    assert clock_reads(ast.parse("from datetime import datetime\nx = datetime.now()")) == [2]
    assert clock_reads(ast.parse("import datetime\nx = datetime.date.today()")) == [2]
    assert clock_reads(ast.parse("def f(clock=datetime.now): ...")) == [1]
    assert clock_reads(ast.parse("x = clock().date()")) == []
    assert sql_uses(ast.parse('c.execute("SELECT 1 FROM search_pending LIMIT 1")')) == [1]
    assert sql_uses(ast.parse('q = f"SELECT 1 FROM {table} WHERE {where}"')) == [1]
    assert sql_uses(ast.parse('q = ("UPDATE accounts SET role = ?"\n " WHERE id = ?")')) == [1]
    assert sql_uses(ast.parse('label = "選択 (SELECT) から始めます"')) == []


def test_only_the_clock_module_reads_the_system_clock() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files("toda_desktop", "storage", "ui", "analysis", "kernel")
        if path != CLOCK_MODULE
        for line in clock_reads(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not offenders, "read the time from the clock instead: " + ", ".join(offenders)


def test_sql_lives_only_in_storage() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files("toda_desktop", "ui")
        for line in sql_uses(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not offenders, "move these into storage/repos: " + ", ".join(offenders)
