"""The window starts without the analysis libraries: scikit-learn and SciPy load with the
risk service on first use, never before the login window (they took ~3.7 s of the start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy")


def test_importing_the_window_loads_neither_scikit_learn_nor_scipy() -> None:
    code = ("import json, sys; import ui.app; "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported with the window: {loaded[:10]}"
