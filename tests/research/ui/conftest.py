"""The window fixtures of tests/ui (offscreen Qt, bundled font, a runner, a shell)."""

from __future__ import annotations

from tests.ui.conftest import (  # noqa: F401  (fixtures)
    _collect_qt_garbage,
    _gui_thread_garbage_collector,
    app_ctx,
    app_font,
    reporter,
    runner,
    shell,
)
