"""The frozen one-folder build: PyInstaller builds it and the smoke check passes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_frozen_build_starts_and_signs_in(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DIST_DIR": str(tmp_path / "dist"),
        "WORK_DIR": str(tmp_path / "build"),
        "SMOKE_SCREENSHOTS": str(tmp_path / "shots"),
    }
    started = time.monotonic()
    build = subprocess.run(
        ["bash", str(INSTALLER / "build.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    build_seconds = time.monotonic() - started
    assert build.returncode == 0, build.stderr[-4000:]
    bundle = tmp_path / "dist" / "toda-desktop"
    assert (bundle / "toda-desktop").is_file()
    assert not (tmp_path / "dist" / "toda-desktop.exe").exists()  # one folder, not one file
    internal = bundle / "_internal"
    assert (internal / "resources" / "fonts" / "ipaexg.ttf").is_file()
    assert (internal / "resources" / "fonts" / "TodaGothicSupplement-Regular.otf").is_file()
    assert (internal / "resources" / "datasets.toml").is_file()
    assert (internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqoffscreen.so").is_file()

    smoke = subprocess.run(
        ["bash", str(INSTALLER / "smoke.sh"), str(tmp_path / "dist")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert smoke.returncode == 0, smoke.stdout[-2000:] + smoke.stderr[-4000:]
    assert "smoke: ok" in smoke.stdout
    assert (tmp_path / "shots" / "smoke-main.png").is_file()
    print(f"frozen build took {build_seconds:.0f} s")
