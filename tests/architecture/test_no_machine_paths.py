"""Nothing depends on a folder of the machine it was written on: a clean clone on another
machine (CI) has no /work/… or /home/… (screenshots of tests go under the UI tests'
SCREENSHOT_DIR, data under tmp_path)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MACHINE_PATH = re.compile(r"[\"'](/work/|/home/|/root/)")


def test_no_module_or_test_names_a_folder_of_this_machine() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("ui", "toda_desktop", "storage", "analysis", "devices", "kernel", "tests")
        for path in (ROOT / package).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MACHINE_PATH.search(line)
    ]
    assert not found
