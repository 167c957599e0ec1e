"""The karte builds a chart's plot when it first comes into sight, not all up front (a plot
costs about 20 ms; a karte has up to seven). Real small demo city, offscreen window."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from ui.karte.page import KartePage, KarteView

pytestmark = pytest.mark.gui


def _open(qtbot: QtBot, make_shell: ShellFactory) -> KarteView:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    window.resize(1360, 900)
    assert shell.signed is not None
    pupil = shell.signed.store.db.call(lambda c: int(c.execute(
        "SELECT pupil_id FROM ds_long_absence WHERE absence_days >= 30 AND pupil_id IN"
        " (SELECT pupil_id FROM ds_survey_responses) ORDER BY pupil_id LIMIT 1").fetchone()[0]))
    page = window.show_page("児童生徒カルテ")
    assert isinstance(page, KartePage)
    with qtbot.waitSignal(page.opened, timeout=WAIT_MS) as opened:
        page.open_pupil(pupil)
    view = opened.args[0]
    assert isinstance(view, KarteView)
    return view


def test_only_the_charts_in_sight_are_built_and_the_rest_when_scrolled_to(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    view = _open(qtbot, make_shell)
    charted = [v for v in view.chart_views if v.has_records]
    assert len(charted) >= 3
    first, last = charted[0], charted[-1]
    qtbot.waitUntil(lambda: first.plot_built, timeout=WAIT_MS)
    qtbot.wait(50)
    assert not last.plot_built  # below the fold: not built yet
    bar = view.charts_scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: last.plot_built, timeout=WAIT_MS)


def test_a_chart_not_yet_in_sight_answers_a_click_as_a_built_one(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    view = _open(qtbot, make_shell)
    long_absence = view.chart("long_absence")
    assert not long_absence.plot_built
    days = next(s for s in long_absence.chart.series if s.key == "absence_days")
    index = next(i for i, v in enumerate(days.values) if v)
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS) as shown:
        assert long_absence.click_at(index, (days.values[index] or 0.0) / 2)
    assert long_absence.plot_built and shown.args[0].kind == "long_absence"
