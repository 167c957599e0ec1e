"""``print-register`` on the command line: one's own sheets, ticks, and the lead's view."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from tests.printing.helpers import MovingClock, sheet, sign_in
from toda_desktop.cli import main
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.store_setup import DEMO_PASSWORD


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.mark.slow
def test_print_register_lists_ones_sheets_and_ticks_them(
        demo_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    truancy = sign_in(demo_store_path, "truancy_support", MovingClock(datetime(2026, 12, 7)))
    try:
        slip = truancy.printing.reserve(sheet(), Purpose("ケース会議の資料"))
        truancy.printing.printed(slip, 2, printer="RICOH IM C3000")
    finally:
        truancy.sign_out()
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    store = str(demo_store_path)
    code, text = _run("print-register", "--store", store, "--user", "demo-truancy",
                      "--returned", slip.serial)
    assert code == 0 and f"{slip.serial} を回収済みにしました" in text
    code, text = _run("print-register", "--store", store, "--user", "demo-lead", "--all")
    assert code == 0
    line = next(x for x in text.splitlines() if x.startswith(slip.serial))
    assert "デモ 不登校支援（demo-truancy）" in line and "回収済み" in line
    assert "未回収 0件（うち期限切れ 0件）" in text
