"""``school-karte show|city`` on the command line: aggregates with the caption, never a
name; a role without the function is refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from toda_desktop.cli import main
from toda_desktop.school_karte import CAPTION
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = pytest.mark.slow


def _run(monkeypatch: pytest.MonkeyPatch, role: str, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS[role][0])
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_show_prints_one_schools_cells_with_the_caption_and_no_pupil(
    demo_store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code, text = _run(monkeypatch, "director", "school-karte", "show", "--store",
                      str(demo_store_path), "--school", "03201")
    assert code == 0, text + capsys.readouterr().err
    assert CAPTION in text and "（03201）" in text
    assert "差は不確か" in text or "ポイント" in text
    code, city = _run(monkeypatch, "director", "school-karte", "city", "--store",
                      str(demo_store_path))
    assert code == 0 and CAPTION in city
    lines = [line for line in city.splitlines() if line.startswith("  0") or
             line.startswith("  1")]
    codes = [line.split()[0] for line in lines]
    assert codes == sorted(codes)  # school-code order


def test_a_role_without_the_function_is_refused_on_the_command_line(
    demo_store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code, text = _run(monkeypatch, "liaison", "school-karte", "city", "--store",
                      str(demo_store_path))
    assert code == 2
    assert "学校カルテ" in text + capsys.readouterr().err
