"""不登校の早期把握 on the 児童生徒カルテ, through the shell, against a real small demo city with
a quickly trained model and one scored month (services not mocked)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kernel.school_calendar import SchoolMonth
from tests.conftest import copy_store
from tests.risk.conftest import sign_in as sign_in_service
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, english_words, sign_in, visible_texts
from toda_desktop.risk import RiskService
from ui.karte.page import KartePage, KarteView
from ui.karte.risk_section import CAUTION, TITLE, KarteRiskSection
from ui.main_window import MainWindow
from ui.shell import Shell

pytestmark = pytest.mark.gui

MONTH = SchoolMonth(2025, 10)
Listed = tuple[Path, int, int]  # store, alert id, pupil id


@pytest.fixture(scope="module")
def listed(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Listed:
    """The demo city with a quick model, the lists of one month, and a listed pupil who
    answered the survey."""
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("karte-risk") / "demo.tdb")
    lead = sign_in_service(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        risk.score(MONTH)
        answered = {int(r[0]) for r in lead.store.db.call(lambda c: c.execute(
            "SELECT DISTINCT pupil_id FROM ds_survey_responses").fetchall())}
        alert = next(a for a in risk.alerts(MONTH) if a.pupil_id in answered)
        assert alert.pupil_id is not None
        return path, alert.id, alert.pupil_id
    finally:
        lead.sign_out()


def _open(qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed,
          login: str) -> tuple[Shell, MainWindow, KarteView]:
    """Sign in through the shell and open the listed pupil's karte (section read)."""
    path = copy_store(listed[0], tmp_path / "store" / "demo.tdb")
    shell = make_shell(path)
    window = sign_in(qtbot, shell, login)
    window.resize(1360, 900)
    view = _open_karte(qtbot, window, listed[2])
    return shell, window, view


def _open_karte(qtbot: QtBot, window: MainWindow, pupil_id: int, *,
                refresh: bool = False) -> KarteView:
    page = window.show_page("児童生徒カルテ")
    assert isinstance(page, KartePage)
    with qtbot.waitSignal(page.opened, timeout=WAIT_MS) as opened:
        page.open_pupil(pupil_id, refresh=refresh)
    view = opened.args[0]
    assert isinstance(view, KarteView)
    section = view.risk_section
    if section is not None:
        qtbot.waitUntil(lambda: section.facts is not None, timeout=WAIT_MS)
    return view


def _section(view: KarteView) -> KarteRiskSection:
    assert view.risk_section is not None and view.risk_section.isVisible()
    return view.risk_section


def test_lead_sees_band_reasons_and_the_staff_mark(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed
) -> None:
    shell, window, view = _open(qtbot, make_shell, tmp_path, listed, "demo-lead")
    section = _section(view)
    facts = section.facts
    assert facts is not None and facts.risk.latest is not None
    assert section.band_label.text() in {"帯 高", "帯 中", "帯 低"}
    assert section.band_text_label.text() == facts.risk.latest.band_text
    latest = facts.risk.latest
    assert latest.reasons and f"・{latest.reasons[0]}" in section.reasons_label.text()
    assert section.status_label.text() == "職員の記録: 未記録"
    texts = visible_texts(view)
    assert TITLE in texts and CAUTION in texts
    assert "令和7年10月の見守りアラート" in texts
    assert english_words(section.texts()) == []
    qtbot.wait(50)
    window.grab().save("/tmp/karte_risk.png")

    assert shell.signed is not None
    shell.signed.risk.mark_alert(listed[1], "見守り", "様子を見る")
    again = _section(_open_karte(qtbot, window, listed[2], refresh=True))
    assert again.status_label.text() == "職員の記録: 見守り"


def test_survey_domains_for_a_role_that_sees_the_survey(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed
) -> None:
    _shell, _window, view = _open(qtbot, make_shell, tmp_path, listed, "demo-lead")
    section = _section(view)
    assert section.facts is not None and section.facts.domains is not None
    judgments = section.facts.domains.judgments
    assert judgments and section.survey_box.isVisible()
    shown = [label.text() for label in section.domain_labels if label.isVisible()]
    assert len(shown) == len(judgments)
    assert all("肯定的回答" in text and "学年平均" in text for text in shown)
    # When the grade norms were computed (they are kept until the data change).
    assert section.norms_label.isVisible()
    assert section.norms_label.text().startswith("令和")
    assert "学年平均は" in section.norms_label.text() and "に計算" in section.norms_label.text()


def test_truancy_support_sees_the_alert_but_not_the_survey(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed
) -> None:
    _shell, _window, view = _open(qtbot, make_shell, tmp_path, listed, "demo-truancy")
    section = _section(view)
    assert section.facts is not None and section.facts.risk.latest is not None
    assert section.facts.domains is None and not section.survey_box.isVisible()
    assert section.band_label.isVisible() and section.reasons_label.text()


@pytest.mark.parametrize("login", ["demo-liaison", "demo-bullying"])
def test_roles_without_alert_rights_get_no_section(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed, login: str
) -> None:
    _shell, _window, view = _open(qtbot, make_shell, tmp_path, listed, login)
    assert view.risk_section is None
    assert not view.findChildren(KarteRiskSection)
    texts = visible_texts(view)
    assert TITLE not in texts and CAUTION not in texts
    assert not [t for t in texts if "見守りアラート" in t or "帯 " in t]
