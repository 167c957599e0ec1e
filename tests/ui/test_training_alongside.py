"""Training runs on its own worker: the other pages keep loading, and signing out stops it.

The shell gives model training and evaluation a second BackgroundRunner (as the application
does), so minutes of training do not queue the karte behind them; sign-out cancels the
training, waits for it to stop at its next step, and only then closes the session.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from ui.karte.page import KartePage
from ui.risk.model_page import RiskModelPage


def test_the_karte_opens_while_the_full_grid_trains_and_sign_out_stops_it(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    model_page = window.show_page("予測モデル")
    assert isinstance(model_page, RiskModelPage)
    qtbot.waitUntil(lambda: not model_page.busy, timeout=WAIT_MS)  # its first load
    model_page.train(quick=False)  # the whole grid: far longer than opening a karte
    assert model_page.training

    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage)
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
        karte.open_pupil(1)
    assert model_page.training, "the karte waited for the training"

    with qtbot.waitSignal(shell.signed_out, timeout=60_000):
        window.sign_out_action.trigger()
    assert shell.signed is None and shell.login_window is not None
