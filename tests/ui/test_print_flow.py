"""Printing through the flow and the renderer: the real service on a demo city, the real
PDF writer, checked with poppler (pdftotext, pdffonts, pdftoppm) page by page."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QPdfWriter
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from tests.printing.helpers import MovingClock, sign_in
from tests.ui.conftest import SCREENSHOT_DIR
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.karte.sheet import KarteSection, karte_sheet
from toda_desktop.printing.document import (
    DocumentKind,
    Fields,
    Heading,
    Paragraph,
    PrintDocument,
    Table,
)
from ui.background import BackgroundRunner
from ui.printing.flow import PrintFlow
from ui.printing.preview import SheetPreview
from ui.printing.purpose_dialog import PrintPurposeDialog
from ui.printing.renderer import SheetLayout
from ui.printing.stamp import stamp_of

START = datetime(2026, 12, 7, 14, 30)
SHOTS = SCREENSHOT_DIR / "printing"  # for a person to look at (not checked)
SHOTS.mkdir(parents=True, exist_ok=True)


def _pages(pdf: Path) -> list[str]:
    """Each page's text, NFKC-normalised (poppler maps some kanji glyphs to the Kangxi
    radicals that share them, e.g. ⽉ for 月)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    return [unicodedata.normalize("NFKC", subprocess.run(
        ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
        capture_output=True, text=True, check=True).stdout) for n in range(1, count + 1)]


def _long_sheet() -> PrintDocument:
    rows = tuple((str(n), f"髙﨑 花子{n}", "戸田第一小学校", "5年2組", "欠席が続いています")
                 for n in range(1, 121))
    return PrintDocument(
        kind=DocumentKind.ALERT_LIST, title="見守りアラートの一覧", subject="1校・120人",
        pupils=(), blocks=(Fields((("学校", "戸田第一小学校"), ("対象月", "令和8年12月")),
                                  columns=2),
                           Heading("一覧"),
                           Table(("順", "氏名", "学校", "学年・組", "主な理由"), rows,
                                 widths=(0.6, 2, 2, 1, 4)),
                           Paragraph("注記", note=True)))


def test_every_page_of_a_pdf_carries_the_watermark_and_the_embedded_japanese_font(
        qapp: object, app_font: object, demo_store_path: Path, tmp_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", MovingClock(START))
    try:
        slip = lead.printing.reserve(_long_sheet(), Purpose("ケース会議の資料"))
    finally:
        lead.sign_out()
    pdf = tmp_path / "sheet.pdf"
    writer = QPdfWriter(str(pdf))
    layout = SheetLayout(_long_sheet(), stamp_of(slip, DateStyle.WAREKI), writer)
    pages = layout.paint(writer)
    del writer  # (closes the file)
    texts = _pages(pdf)
    assert pages == len(texts) >= 3
    for n, text in enumerate(texts, start=1):
        assert "持出禁止・要回収" in text
        assert slip.serial in text
        assert "返却・廃棄期限: 令和8年12月21日" in text
        assert "デモ 総括(demo-lead)" in text  # (NFKC turns full-width brackets into ASCII)
        assert "令和8年12月7日 14:30" in text
        assert f"{n}/{len(texts)}" in text.replace(" ", "")
        assert "氏名" in text  # the table's header row repeats on every page
    assert "髙﨑 花子120" in texts[-1] and "髙﨑 花子1 " in texts[0]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.startswith("IPAexGothic") and " yes " in line for line in fonts)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "2", str(pdf),
                    str(SHOTS / "long-table")], check=True)


def _run_flow(qtbot: QtBot, flow: PrintFlow, build: object) -> SheetPreview:
    asked: list[PrintPurposeDialog] = []
    shown: list[SheetPreview] = []
    flow.purpose_asked.connect(asked.append)
    flow.preview_shown.connect(shown.append)
    flow.print_document(build)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(asked), timeout=20_000)
    asked[0].ok_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    return shown[0]


@pytest.mark.slow
def test_the_karte_sheet_prints_the_chosen_sections_through_preview_and_pdf(
        qtbot: QtBot, app_font: object, runner: BackgroundRunner, demo_store_path: Path,
        tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    lead = sign_in(demo_store_path, "project_lead", MovingClock(START))
    window = QWidget()
    qtbot.addWidget(window)
    try:
        pupil = lead.store.db.call(lambda c: int(c.execute(
            "SELECT pupil_id FROM ds_attendance_monthly GROUP BY pupil_id"
            " ORDER BY SUM(absence_days) DESC LIMIT 1").fetchone()[0]))
        karte = lead.karte.open(pupil)
        flow = PrintFlow(lead.printing, runner, DateStyle.WAREKI, window)
        chosen = {KarteSection.BASICS, KarteSection.ATTENDANCE}
        preview = _run_flow(qtbot, flow,
                            lambda: karte_sheet(karte, chosen, DateStyle.WAREKI))
        preview.resize(1000, 740)
        qtbot.wait(200)
        preview.grab().save(str(SHOTS / "preview-karte.png"))
        pdf = tmp_path / "karte.pdf"
        flow.save_pdf(str(pdf))
        qtbot.waitUntil(lambda: flow.preview is None and not flow.busy, timeout=20_000)
        texts = _pages(pdf)
        whole = "\n".join(texts)
        assert "".join(karte.header.name.split()) in "".join(whole.split())
        assert "出欠(月別)" in whole and "保健室利用" not in whole and "学力" not in whole
        for text in texts:
            assert "持出禁止・要回収" in text and "TODA-2026-000001" in text
        entry = lead.printing.register().entries[0]
        assert (entry.serial, entry.destination, entry.pages) == (
            "TODA-2026-000001", "pdf", len(texts))
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(SHOTS / "karte")],
                       check=True)

        # A closed preview voids its serial; the next sheet takes the next number.
        preview = _run_flow(qtbot, flow, lambda: karte_sheet(karte, chosen, DateStyle.WAREKI))
        assert preview.stamp.serial == "TODA-2026-000002"
        preview.reject()
        qtbot.waitUntil(lambda: not flow.busy, timeout=20_000)
        qtbot.waitUntil(lambda: any(e.status == "voided" for e in lead.printing.register(
            with_voided=True).entries), timeout=20_000)

        # A virtual printer is refused by name: nothing is painted, nothing is logged.
        preview = _run_flow(qtbot, flow, lambda: karte_sheet(karte, chosen, DateStyle.WAREKI))
        refused = tmp_path / "virtual.pdf"
        told: list[str] = []
        flow.done.connect(told.append)
        flow.send(QPdfWriter(str(refused)), "Microsoft Print to PDF")
        qtbot.waitUntil(lambda: bool(told), timeout=20_000)
        assert "仮想プリンター" in told[0]
        assert not refused.exists() or refused.stat().st_size == 0
        assert flow.preview is preview  # still open: another printer may be chosen
        flow.send(QPdfWriter(str(tmp_path / "paper.pdf")), "RICOH IM C3000")
        qtbot.waitUntil(lambda: flow.preview is None, timeout=20_000)
        printed = [e for e in lead.printing.register().entries if e.destination == "printer"]
        assert [e.serial for e in printed] == ["TODA-2026-000003"]
    finally:
        lead.sign_out()


def test_a_sheet_that_fails_to_build_frees_the_flow_for_the_next_one(
        qtbot: QtBot, app_font: object, runner: BackgroundRunner, demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", MovingClock(START))
    window = QWidget()
    qtbot.addWidget(window)
    try:
        flow = PrintFlow(lead.printing, runner, DateStyle.WAREKI, window)

        def broken() -> PrintDocument:
            raise RuntimeError("a bug in a sheet builder")

        flow.print_document(broken)
        qtbot.waitUntil(lambda: not flow.busy, timeout=20_000)
        assert flow.preview is None
        assert lead.printing.register(with_voided=True).entries == []  # nothing reserved
    finally:
        lead.sign_out()
