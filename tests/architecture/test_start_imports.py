"""The window starts without the analysis libraries: scikit-learn and SciPy load with the
risk service on first use, never before the login window (they took ~3.7 s of the start).
Since issue 16 the login window needs none of pandas, pyarrow or pyqtgraph either: they load
on the worker while the user types (``ui.app.DeferredStart``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy")
LOGIN_HEAVY = ("sklearn", "scipy", "pandas", "pyarrow", "pyqtgraph", "statsmodels", "openpyxl",
               "matplotlib")
# What start-up imports before the login window shows (ui.app and the windows it makes).
LOGIN_MODULES = ("ui.app", "ui.login_window", "ui.lock_screen", "toda_desktop.header")


def _loaded_by(modules: tuple[str, ...], roots: tuple[str, ...]) -> list[str]:
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r})))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_login_window_s_modules_load_neither_pandas_nor_sklearn_nor_pyqtgraph() -> None:
    loaded = _loaded_by(LOGIN_MODULES, LOGIN_HEAVY)
    assert loaded == [], f"imported before the login window: {loaded[:10]}"


def test_the_rule_would_see_pandas_where_it_is_loaded() -> None:
    """The check itself works: the composition root does bring pandas (on the worker)."""
    assert "pandas" in _loaded_by(("toda_desktop.composition",), LOGIN_HEAVY)


def test_importing_the_window_loads_neither_scikit_learn_nor_scipy() -> None:
    code = ("import json, sys; import ui.app; "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported with the window: {loaded[:10]}"


def test_showing_the_login_window_loads_none_of_them(demo_store_path: Path) -> None:
    """Not only the imports: building and showing the window (fonts included) too."""
    code = (
        "import json, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from kernel.date_style import DateStyle\n"
        "from toda_desktop.header import read_header\n"
        "from ui.app import Options, show_login_window\n"
        "from ui.background import BackgroundRunner\n"
        "from ui.error_reporting import ErrorReporter\n"
        "app = QApplication([])\n"
        f"store = __import__('pathlib').Path({str(demo_store_path)!r})\n"
        "options = Options(store, DateStyle.WAREKI, False, None)\n"
        "reporter = ErrorReporter(None)\n"
        "runner = BackgroundRunner(reporter)\n"
        "login, _start = show_login_window(app, read_header(store), options, reporter, runner)\n"
        "app.processEvents()\n"
        "assert login.isVisible()\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {LOGIN_HEAVY!r})))\n"
        "runner.shutdown()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"loaded by the time the login window shows: {loaded[:10]}"
