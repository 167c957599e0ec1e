"""Start-up (issue 16): time from process start to the login window on screen, beside a bare
PySide6 window started the same way (a new interpreter, offscreen), and the ratio.

The app is ``python -m ui --smoke``, which prints 「smoke: login window shown」 once the window
is visible and 「smoke: services loaded」 when the rest (services, pages, pandas, pyqtgraph)
has loaded on the worker; the process is stopped there (nothing is opened before sign-in).
A frozen build is measured the same way when ``TODA_FROZEN_APP`` (the built toda-desktop)
and ``TODA_FROZEN_BARE`` (a bare PySide6 window frozen the same way, printing the same line)
name them; the target is under 2 s for the frozen login window.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_startup.py``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ui.app import LOGIN_SHOWN, SERVICES_LOADED

REPEAT = 5
ROOT = Path(__file__).resolve().parents[2]
BARE = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication, QLabel\n"
    "app = QApplication(sys.argv[:1])\n"
    "window = QLabel('戸田市 教育データ デスクトップ')\n"
    "window.show()\n"
    "app.processEvents()\n"
    f"print({LOGIN_SHOWN!r}, flush=True)\n"
)


def _times(command: list[str], lines: tuple[str, ...], cwd: Path) -> list[float]:
    """Seconds from starting ``command`` to each of ``lines`` on its stdout (then stopped)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    found: list[float] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == lines[len(found)]:
                found.append(time.perf_counter() - started)
                if len(found) == len(lines):
                    break
    finally:
        proc.kill()
        proc.wait()
    assert len(found) == len(lines), f"{command[0]}: saw {len(found)} of {lines}"
    return found


def _median(runs: list[list[float]], index: int) -> float:
    return statistics.median(r[index] for r in runs)


def test_login_window_beside_a_bare_window(demo_store_path: Path, tmp_path: Path) -> None:
    app = [sys.executable, "-m", "ui", "--smoke", "--store", str(demo_store_path)]
    bare = [sys.executable, "-c", BARE]
    _times(bare, (LOGIN_SHOWN,), tmp_path)  # warm the file cache for both
    _times(app, (LOGIN_SHOWN, SERVICES_LOADED), tmp_path)
    ours = [_times(app, (LOGIN_SHOWN, SERVICES_LOADED), tmp_path) for _ in range(REPEAT)]
    base = [_times(bare, (LOGIN_SHOWN,), tmp_path) for _ in range(REPEAT)]
    login, loaded, window = _median(ours, 0), _median(ours, 1), _median(base, 0)
    print(f"\n[benchmark] start-up (python): login window {login:.2f} s; bare PySide6 window"
          f" {window:.2f} s; ratio {login / window:.2f}x; services loaded {loaded:.2f} s"
          f" (login window min {min(r[0] for r in ours):.2f} s)")
    frozen_app, frozen_bare = os.environ.get("TODA_FROZEN_APP"), os.environ.get(
        "TODA_FROZEN_BARE")
    if frozen_app and frozen_bare:
        f_ours = [_times([frozen_app, "--smoke", "--store", str(demo_store_path)],
                         (LOGIN_SHOWN,), tmp_path) for _ in range(REPEAT)]
        f_base = [_times([frozen_bare], (LOGIN_SHOWN,), tmp_path) for _ in range(REPEAT)]
        f_login, f_window = _median(f_ours, 0), _median(f_base, 0)
        print(f"[benchmark] start-up (frozen): login window {f_login:.2f} s (target < 2 s);"
              f" bare frozen window {f_window:.2f} s; ratio {f_login / f_window:.2f}x")
    else:
        print("[benchmark] start-up (frozen): not measured (set TODA_FROZEN_APP and"
              " TODA_FROZEN_BARE to a built toda-desktop and a bare window frozen alike)")
