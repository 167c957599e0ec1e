"""The architecture document names only things that exist, so it cannot drift silently."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("docs/ARCHITECTURE.md", "docs/SECURITY.md", "README.md")
ROOMS = ("storage", "analysis", "devices", "toda_desktop", "ui", "resources", "installer",
         "tests", "docs")
# `room/...` in backticks: a module, package or file path of the repository.
_ROOM = "|".join(ROOMS)
PATH_IN_BACKTICKS = re.compile(rf"`((?:{_ROOM})/[^`\s]*)`")
# `room.module` dotted module names, e.g. `analysis.values.blank_equal_key`.
_PACKAGE = "|".join(ROOMS[:5])
DOTTED = re.compile(rf"`((?:{_PACKAGE})(?:\.[a-z_][a-z0-9_]*)+)`")
# Dotted names that are not modules, each with what it is.
NOT_MODULES = {"toda_desktop.scanners": "the entry-point group of vendor scanner plugins"}


def _named_paths(text: str) -> set[str]:
    return {m.rstrip("/.,;:") for m in PATH_IN_BACKTICKS.findall(text)}


def _exists(path: str) -> bool:
    if any(ch in path for ch in "*<>{}"):  # a pattern such as `ds_<kind>`, not a path
        return True
    return (ROOT / path).exists()


def _module_exists(dotted: str) -> bool:
    """True when some prefix of the dotted name is a module and the rest may be attributes."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return end >= 2 or len(parts) == 1
    return False


def test_every_path_the_docs_name_exists() -> None:
    missing = []
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        missing += [f"{doc}: {p}" for p in sorted(_named_paths(text)) if not _exists(p)]
    assert not missing, "documents name paths that do not exist:\n" + "\n".join(missing)


def test_every_dotted_module_the_architecture_names_exists() -> None:
    text = (ROOT / "docs/ARCHITECTURE.md").read_text(encoding="utf-8")
    named = sorted(set(DOTTED.findall(text)) - NOT_MODULES.keys())
    missing = [d for d in named if not _module_exists(d)]
    assert not missing, "ARCHITECTURE.md names modules that do not exist:\n" + "\n".join(missing)


def test_the_paths_check_finds_a_path_that_does_not_exist() -> None:
    assert _named_paths("see `storage/nothing_here.py` and `ui/background.py`") == {
        "storage/nothing_here.py", "ui/background.py"}
    assert not _exists("storage/nothing_here.py")
    assert _exists("ui/background.py")
