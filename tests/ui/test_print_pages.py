"""The print entry points in the window: who gets them, the karte's section choice through
the preview, and the register's ticks (the real shell on a demo city)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot

from tests.ui.conftest import SCREENSHOT_DIR
from tests.ui.flows import WAIT_MS, sign_in
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.printing.document import DocumentKind, Heading, PrintDocument
from ui.karte.page import KartePage
from ui.printing.preview import SheetPreview
from ui.printing.purpose_dialog import PrintPurposeDialog
from ui.printing.register_page import TITLE, PrintRegisterPage
from ui.printing.sections_dialog import SectionsDialog

SHOTS = SCREENSHOT_DIR / "printing"  # for a person to look at (not checked)
SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.mark.slow
def test_truancy_support_prints_a_karte_with_the_sections_it_chose(
        qtbot: QtBot, make_shell: object) -> None:
    shell = make_shell()  # type: ignore[operator]
    window = sign_in(qtbot, shell, "demo-truancy")
    assert TITLE in window.page_titles()
    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage) and not karte.print_button.isHidden()
    signed = shell.signed
    assert signed is not None
    pupil = signed.store.db.call(lambda c: int(c.execute(
        "SELECT pupil_id FROM ds_consultations GROUP BY pupil_id LIMIT 1").fetchone()[0]))
    karte.open_pupil(pupil)
    qtbot.waitUntil(lambda: karte.current_view() is not None, timeout=WAIT_MS)
    for width, height in ((1366, 768), (1920, 1080)):
        window.resize(width, height)
        qtbot.wait(150)
        window.grab().save(str(SHOTS / f"karte-page-{width}.png"))
    flow = karte._printer
    assert flow is not None
    asked: list[PrintPurposeDialog] = []
    shown: list[SheetPreview] = []
    flow.purpose_asked.connect(asked.append)
    flow.preview_shown.connect(shown.append)
    karte.print_page()
    dialog = next(d for d in karte.findChildren(SectionsDialog) if d.isVisible())
    assert set(dialog.boxes) == {"basics", "attendance", "health_room", "records"}
    for key in ("basics", "health_room"):
        dialog.boxes[key].setChecked(False)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    asked[0].ok_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    preview = shown[0]
    headings = [b.text for b in preview.document.blocks if isinstance(b, Heading)]
    assert headings == ["出欠（月別）", "記録"]
    assert preview.pages >= 1 and not preview.pdf_action.isVisible()  # no export right
    window.resize(1366, 768)
    preview.resize(1300, 700)
    qtbot.wait(100)
    preview.grab().save(str(SHOTS / "preview-truancy-1366.png"))
    preview.reject()
    qtbot.waitUntil(lambda: not flow.busy, timeout=WAIT_MS)


@pytest.mark.slow
def test_a_role_without_print_has_no_print_buttons_and_no_register(
        qtbot: QtBot, make_shell: object) -> None:
    shell = make_shell()  # type: ignore[operator]
    window = sign_in(qtbot, shell, "demo-liaison")
    assert TITLE not in window.page_titles()
    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage) and karte.print_button.isHidden()


@pytest.mark.slow
def test_the_register_page_ticks_a_sheet_and_shows_its_history(
        qtbot: QtBot, make_shell: object) -> None:
    shell = make_shell()  # type: ignore[operator]
    window = sign_in(qtbot, shell, "demo-truancy")
    signed = shell.signed
    assert signed is not None
    doc = PrintDocument(kind=DocumentKind.ALERT_LIST, title="t", blocks=(), subject="1校・0人")
    slip = signed.printing.reserve(doc, Purpose("ケース会議の資料"))
    signed.printing.printed(slip, 2, printer="RICOH IM C3000")
    page = window.show_page(TITLE)
    assert isinstance(page, PrintRegisterPage) and page.scope.isHidden()  # own sheets only
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    assert page.select(slip.serial) and page.returned_button.isEnabled()
    page.tick("returned", ask=False)
    qtbot.waitUntil(lambda: "回収済み" in page.history_label.text(), timeout=WAIT_MS)
    assert page.model.lines[0].status == "returned"
    assert not page.returned_button.isEnabled() and page.shredded_button.isEnabled()
    assert [e.status for e in signed.printing.history(slip.serial)] == [
        "reserved", "outstanding", "returned"]
    assert not page.findChildren(QCheckBox)[0].isChecked()


@pytest.mark.slow
def test_the_lead_sees_overdue_sheets_as_a_badge_and_highlighted(
        qtbot: QtBot, make_shell: object, wall_clock: object) -> None:
    month = timedelta(days=30)  # (the session outlives the sheet's return date)
    shell = make_shell(idle_limit=month, max_session=month)  # type: ignore[operator]
    window = sign_in(qtbot, shell, "demo-lead")
    signed = shell.signed
    assert signed is not None
    doc = PrintDocument(kind=DocumentKind.ALERT_LIST, title="t", blocks=(), subject="1校・0人")
    slip = signed.printing.reserve(doc, Purpose("ケース会議の資料"))
    signed.printing.printed(slip, 1, printer="RICOH IM C3000")
    wall_clock.advance(days=15)  # type: ignore[attr-defined]
    page = window.show_page(TITLE)
    assert isinstance(page, PrintRegisterPage) and not page.scope.isHidden()
    qtbot.waitUntil(lambda: window.badge(TITLE) == "1", timeout=WAIT_MS)
    line = page.model.lines[0]
    assert line.overdue and "期限切れ" in page.model.cells(line)[1]
    assert page.model.cell_data(line, 0, Qt.ItemDataRole.BackgroundRole) is not None
