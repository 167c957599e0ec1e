"""Every role's window fits an ordinary office screen.

Found by QA: one page's legend that could not wrap made the whole window (every page, the
サインアウト button included) at least 1,402 pixels wide for the roles with 見守りアラート.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from toda_desktop.store_setup import DEMO_LOGINS
from ui.karte.page import KartePage

pytestmark = pytest.mark.gui

# The narrowest screens an office PC may have are 1,024 pixels wide; the window needs some
# room for its frame.
MAX_MIN_WIDTH = 1000


@pytest.mark.parametrize("role", sorted(DEMO_LOGINS))
def test_the_window_fits_a_1024_pixel_screen(
    qtbot: QtBot, make_shell: ShellFactory, role: str
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, DEMO_LOGINS[role][0])
    for title in window.page_titles():
        window.show_page(title)
    if "児童生徒カルテ" in window.page_titles():  # found by QA: a karte widened it again
        karte = window.show_page("児童生徒カルテ")
        assert isinstance(karte, KartePage)
        with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
            karte.open_pupil(1)
        view = karte.current_view()
        assert view is not None
        for tab in range(view.tabs.count()):
            view.tabs.setCurrentIndex(tab)
            qtbot.wait(100)
        window.resize(1000, 700)
        qtbot.wait(50)
        window.grab().save(f"/tmp/toda-ui-screenshots/narrow_karte_{role}.png")
    qtbot.wait(200)
    widest = {title: window.show_page(title).minimumSizeHint().width()
              for title in window.page_titles()}
    assert window.minimumSizeHint().width() <= MAX_MIN_WIDTH, widest
    window.resize(1000, 700)
    qtbot.wait(50)
    assert window.width() <= MAX_MIN_WIDTH
    if "抽出" in widest:
        window.show_page("抽出")
        qtbot.wait(50)
        window.grab().save(f"/tmp/toda-ui-screenshots/narrow_extraction_{role}.png")
