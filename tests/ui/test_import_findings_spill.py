"""The 取込 page shows a spilled preview's findings as it shows findings held in memory, and
lets the spill go when the preview is done with (issue 10, point 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing.test_findings_spill import CHUNK, REGISTERS, damaged_attendance
from tests.ui.flows import WAIT_MS, click
from toda_desktop.composition import Application
from toda_desktop.store_setup import create_empty_store
from ui.background import BackgroundRunner
from ui.importing import wizard
from ui.importing.wizard import ImportPage

pytestmark = pytest.mark.gui


def _table(qtbot: QtBot, runner: BackgroundRunner, folder: Path, bound: int | None,
           shot: Path) -> tuple[object, ...]:
    folder.mkdir()
    store = folder / "city.tdb"
    create_empty_store(store, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store)
    try:
        signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
        for path in REGISTERS:
            signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
        signed.importing.held_findings = bound
        signed.importing.chunk_rows = CHUNK
        page = ImportPage(signed.importing, signed.visible_kinds(), runner,
                          master_kind=signed.registry.master.name, can_overwrite=True,
                          can_export=True)
        qtbot.addWidget(page)
        page.resize(1200, 800)
        page.show()
        damaged = damaged_attendance(folder)
        page.choose_files = lambda: [damaged]
        click(qtbot, page.start_step.choose_button)
        qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
        click(qtbot, page.mapping_step.to_preview_button)
        qtbot.waitUntil(lambda: page.step == wizard.PREVIEW and not page.busy, timeout=WAIT_MS)
        preview = page.preview
        assert preview is not None and preview.findings.spilled == (bound is not None)
        spill = preview.findings.spill_path
        assert (spill is not None and spill.exists()) == (bound is not None)
        step = page.preview_step
        model, proxy = step.issues_model, step.issues_proxy
        cells = [[model.data(model.index(r, c)) for c in range(model.columnCount())]
                 for r in range(model.rowCount())]
        counted = step.issue_count_label.text()
        step.severity_combo.setCurrentIndex(step.severity_combo.findData("エラー"))
        errors = [proxy.data(proxy.index(r, 4)) for r in range(proxy.rowCount())]
        filtered = step.issue_count_label.text()
        qtbot.wait(50)
        page.grab().save(str(shot))
        click(qtbot, step.skip_button2)  # this file is done with: its findings go
        assert page.preview is None
        assert spill is None or not spill.exists()
        return cells, counted, errors, filtered
    finally:
        app.close()


def test_the_import_page_shows_spilled_findings_as_held_ones_and_lets_them_go(
        qtbot: QtBot, runner: BackgroundRunner, tmp_path: Path, screenshot_dir: Path,
        app_font: QFont) -> None:
    held = _table(qtbot, runner, tmp_path / "held", None,
                  screenshot_dir / "import_findings_held.png")
    spilled = _table(qtbot, runner, tmp_path / "spilled", 10,
                     screenshot_dir / "import_findings_spilled.png")
    assert held == spilled
    cells, counted, errors, filtered = held
    assert len(cells) > 150 and "エラー" in counted and "うち" in filtered
    assert errors and len(errors) < len(cells)
