"""The kanji supplement after IPAexGothic: 𠮷 (U+20BB7) and the rest of JIS X 0213:2004 are
drawn on screen and embedded in printed PDFs; only a character neither bundled font has is
printed as 〓. Checked on real renderings (offscreen grab, QPdfWriter + poppler)."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from PySide6.QtGui import QFont, QImage, QPdfWriter
from PySide6.QtWidgets import QLabel

from kernel.date_style import DateStyle
from resources import resource_path
from tests.printing.helpers import MovingClock, sign_in
from tests.ui.conftest import SCREENSHOT_DIR
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.printing.document import DocumentKind, Heading, PrintDocument, Table
from ui.fonts import MAIN_FONT_FILE, SUPPLEMENT_FONT_FILE, print_covers, print_families
from ui.printing.renderer import MISSING_GLYPH, SheetLayout
from ui.printing.stamp import stamp_of

TSUCHIYOSHI = "\U00020bb7"  # 𠮷, in surnames (𠮷田), in no JIS standard
NOWHERE = "\U0010fffd"  # a code point no font draws
SHOTS = SCREENSHOT_DIR / "fonts"  # for a person to look at (not checked)
SHOTS.mkdir(parents=True, exist_ok=True)


def _cmap(*parts: str) -> set[int]:
    return set(TTFont(str(resource_path(*parts)), lazy=True).getBestCmap())


def _euc(codec: str, planes: tuple[bytes, ...]) -> set[str]:
    chars: set[str] = set()
    for prefix in planes:
        for first in range(0xA1, 0xFF):
            for second in range(0xA1, 0xFF):
                try:
                    chars.update(bytes((*prefix, first, second)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return chars


def test_the_two_bundled_fonts_cover_jis_x_0208_the_kanji_of_jis_x_0213_and_tsuchiyoshi(
) -> None:
    main, supplement = _cmap(*MAIN_FONT_FILE), _cmap(*SUPPLEMENT_FONT_FILE)
    both = main | supplement
    assert ord(TSUCHIYOSHI) in supplement and ord(TSUCHIYOSHI) not in main
    assert {ord(ch) for ch in "髙﨑〜吉田"} <= both
    assert all(ord(ch) in both for ch in _euc("euc_jp", (b"",)))  # JIS X 0208, all of it
    jis2004 = _euc("euc_jis_2004", (b"", b"\x8f"))
    missing = sorted(ch for ch in jis2004 if ord(ch) not in both)
    # Noto Sans CJK leaves some accented Latin, Greek and Cyrillic letters to other fonts.
    assert all(ord(ch) < 0x500 or ch in "⦅⦆" for ch in missing), missing
    assert len(missing) < 100
    assert not [ch for ch in jis2004 if unicodedata.name(ch, "").startswith("CJK")
                and ord(ch) not in both]
    assert not main & supplement  # the supplement holds only what IPAexGothic lacks


def _glyph_cell(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = (round(v) for v in box)
    return image[y0:y1, x0:x1]


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels whose ink differs (both cells cut to the same size)."""
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    return float(np.mean((a[:h, :w] < 128) != (b[:h, :w] < 128)))


def _word_boxes(pdf: Path, dpi: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Page 1's words (NFKC: poppler names 田 by the Kangxi radical ⽥) with their boxes in
    pixels at ``dpi``. Qt writes no text mapping for characters outside the BMP, so 𠮷 is
    not among the words: its cell is found beside the 田 that follows it."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    words = []
    for line in (raw.strip() for raw in html.splitlines()):
        if not line.startswith("<word "):
            continue
        attrs = dict(part.split("=", 1) for part in line[6:line.index(">")].split())
        text = unicodedata.normalize("NFKC", line[line.index(">") + 1:line.rindex("</word>")])
        x0, y0, x1, y1 = (float(attrs[k].strip('"')) * dpi / 72.0
                          for k in ("xMin", "yMin", "xMax", "yMax"))
        words.append((text, (x0, y0, x1, y1)))
    return words


def test_a_printed_pdf_embeds_both_fonts_and_draws_tsuchiyoshi_not_the_missing_mark(
        qapp: object, app_font: object, demo_store_path: Path, tmp_path: Path) -> None:
    rows = ((f"{TSUCHIYOSHI}田", "つちよし"), ("吉田", "きち"), (f"{NOWHERE}田", "なし"))
    document = PrintDocument(kind=DocumentKind.ALERT_LIST, title="氏名の字形", subject="1校・3人",
                             pupils=(), blocks=(Heading("一覧"), Table(("氏名", "読み"), rows)))
    lead = sign_in(demo_store_path, "project_lead", MovingClock(datetime(2026, 12, 7, 9, 0)))
    try:
        slip = lead.printing.reserve(document, Purpose("ケース会議の資料"))
    finally:
        lead.sign_out()
    pdf = tmp_path / "names.pdf"
    writer = QPdfWriter(str(pdf))
    SheetLayout(document, stamp_of(slip, DateStyle.WAREKI), writer).paint(writer)
    del writer  # (closes the file)

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    embedded = {line.split()[0] for line in fonts if " yes " in line}
    assert embedded == {"IPAexGothic", "TodaGothicSupplement-Regular"}, fonts
    dpi = 200
    words = _word_boxes(pdf, dpi)
    boxes = {text: box for text, box in words}
    assert {"田", "吉田", f"{MISSING_GLYPH}田"} <= set(boxes), sorted(boxes)
    ta = boxes["田"]  # the 田 after 𠮷, a word of its own: 𠮷 has the cell to its left
    yoshi_box = (ta[0] - (ta[2] - ta[0]), ta[1], ta[0], ta[3])
    assert abs(yoshi_box[0] - boxes["吉田"][0]) < dpi / 72.0  # in the same column as 吉田
    tops = [boxes[reading][1] for reading in ("つちよし", "きち", "なし")]
    assert abs((tops[1] - tops[0]) - (tops[2] - tops[1])) < 1.0  # the 𠮷 row is not taller
    png = tmp_path / "names"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", "1", "-l", "1",
                    str(pdf), str(png)], check=True)
    page = QImage(str(png) + "-1.png").convertToFormat(QImage.Format.Format_Grayscale8)
    page.save(str(SHOTS / "printed-names.png"))
    pixels = np.array(page.constBits(), dtype=np.uint8).reshape(
        page.height(), page.bytesPerLine())[:, :page.width()]

    def first_char(word: str) -> np.ndarray:
        x0, y0, x1, y1 = boxes[word]
        return _glyph_cell(pixels, (x0, y0, (x0 + x1) / 2, y1))  # two full-width characters

    yoshi = _glyph_cell(pixels, yoshi_box)
    kichi, missing = first_char("吉田"), first_char(f"{MISSING_GLYPH}田")
    assert np.mean(yoshi < 128) > 0.05  # ink, not a blank
    # 𠮷 looks like 吉 (one stroke differs) and nothing like the 〓 of a missing glyph.
    assert _difference(yoshi, kichi) < _difference(yoshi, missing) / 2
    assert _difference(yoshi, kichi) > 0.0  # and is not 吉 itself


def _grab(text: str, font: QFont, *, half: bool = True) -> np.ndarray:
    label = QLabel(text)
    label.setFont(font)
    label.setStyleSheet("background: white; color: black;")
    label.adjustSize()
    image = label.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    image.save(str(SHOTS / f"label-{ord(text[0]):x}.png"))
    pixels = np.array(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, :image.width()]
    return pixels[:, :pixels.shape[1] // 2] if half else pixels  # half: the first of two


def test_a_screen_label_draws_tsuchiyoshi_from_the_supplement_not_a_tofu_box(
        qapp: object, app_font: QFont) -> None:
    big = QFont(app_font)
    big.setPointSize(40)
    yoshi, kichi, tofu = (_grab(f"{ch}田", big) for ch in (TSUCHIYOSHI, "吉", NOWHERE))
    assert np.mean(yoshi < 128) > 0.05
    assert _difference(yoshi, kichi) < _difference(yoshi, tofu) / 2
    assert _difference(yoshi, kichi) > 0.0


def test_only_characters_of_the_bundled_fonts_count_as_printable(qapp: object) -> None:
    assert print_covers(TSUCHIYOSHI) and print_covers("髙") and print_covers("〜")
    assert not print_covers(NOWHERE)
    assert not print_covers("♔")  # an installed font (DejaVu) has it; paper never uses those


def test_a_font_named_by_the_main_family_alone_falls_back_to_the_supplement_first(
        qapp: object, app_font: QFont) -> None:
    """Style sheets and ``QFont(widget.font().family())`` name IPAexGothic only; Ũ (JIS X 0213,
    not in IPAexGothic) must then come from the supplement, not from an installed font."""
    main, supplement = print_families()
    by_name = QFont(main, 40)
    alone = QFont(supplement, 40)
    alone.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    assert app_font.families()[:2] == [main, supplement]
    drawn = _grab("Ũ", by_name, half=False)
    assert np.mean(drawn < 128) > 0.02
    assert np.array_equal(drawn, _grab("Ũ", alone, half=False))


def test_a_matplotlib_chart_draws_tsuchiyoshi_with_the_supplement(app_font: QFont) -> None:
    """Printable charts (Agg) fall back glyph by glyph along ``font.family``."""
    import warnings

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.text(0.1, 0.4, f"{TSUCHIYOSHI}田", fontsize=24)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        canvas.draw()
    figure.text(0.6, 0.4, NOWHERE, fontsize=24)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        canvas.draw()
    assert any("missing from font" in str(w.message) for w in caught)  # the check can fail
