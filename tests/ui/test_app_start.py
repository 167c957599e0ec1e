"""Start-up: the bundled font everywhere, command line options, the --smoke check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from ui.app import EXIT_NO_STORE, parse_args

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]


def test_bundled_font_is_the_application_font(
    qapp: QApplication, app_font: QFont, qtbot: QtBot
) -> None:
    import matplotlib

    assert app_font.family() in ("IPAexGothic", "IPAexゴシック")
    assert qapp.font().family() == app_font.family()
    label = QLabel("児童生徒数")
    qtbot.addWidget(label)
    assert QFontInfo(label.font()).family() == app_font.family()
    assert matplotlib.rcParams["font.family"] == [app_font.family(), "Toda Gothic Supplement"]
    from matplotlib import font_manager

    found = font_manager.findfont(font_manager.FontProperties(family="IPAexGothic"))
    assert found.endswith("ipaexg.ttf")


def test_store_option_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TODA_STORE", raising=False)
    assert parse_args([]).store == tmp_path / "var" / "demo" / "store.tdb"
    assert parse_args([]).date_style == "wareki"
    monkeypatch.setenv("TODA_STORE", str(tmp_path / "x.tdb"))
    assert parse_args([]).store == tmp_path / "x.tdb"
    assert parse_args(["--store", "y.tdb", "--date-style", "seireki"]).store == tmp_path / "y.tdb"


def _run_smoke(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "ui", "--smoke", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.slow
def test_smoke_exits_zero(demo_store_path: Path, tmp_path: Path, screenshot_dir: Path) -> None:
    shots = tmp_path / "shots"
    result = _run_smoke("--store", str(demo_store_path), "--screenshots", str(shots), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "smoke: ok" in result.stdout
    assert (shots / "smoke-login.png").is_file() and (shots / "smoke-main.png").is_file()


def test_smoke_with_missing_store_fails_in_japanese(tmp_path: Path) -> None:
    result = _run_smoke("--store", str(tmp_path / "none.tdb"), cwd=tmp_path)
    assert result.returncode == EXIT_NO_STORE
    assert "データベース" in result.stderr
