"""The bundled Japanese fonts, made the one font of Qt widgets, pyqtgraph and matplotlib.

Administration PCs differ in installed fonts; bundling IPAexGothic means that labels,
charts and printouts render the same everywhere and never show tofu boxes. IPAexGothic
lacks about 3,100 characters of JIS X 0213:2004 and everything outside the BMP, among them
surname kanji such as 𠮷 (U+20BB7); a small subset of Noto Sans CJK JP ("Toda Gothic
Supplement", see resources/fonts/README.md) follows it as the second family, on screen
and on paper, so that 𠮷田 is printed as written on any PC.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetricsF
from PySide6.QtWidgets import QApplication

UI_POINT_SIZE = 10
MAIN_FONT_FILE = ("fonts", "ipaexg.ttf")
SUPPLEMENT_FONT_FILE = ("fonts", "TodaGothicSupplement-Regular.otf")


class FontError(RuntimeError):
    """A bundled font file could not be loaded (a broken install)."""


@cache
def _register(font_file: Path) -> str:
    """Register one font file with Qt (once per file) and return its family."""
    font_id = QFontDatabase.addApplicationFont(str(font_file))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise FontError(f"cannot load bundled font: {font_file}")
    return families[0]


def _supplement_file() -> Path:
    from resources import resource_path

    return resource_path(*SUPPLEMENT_FONT_FILE)


def bundled_families(font_file: Path) -> list[str]:
    """The main font's family followed by the supplement's, both registered from file.

    The supplement is also made Qt's substitute for the main family, so a QFont built from
    the main family's name alone (style sheets, ``QFont(widget.font().family())``) still
    falls back to it before any installed font."""
    main = _register(font_file)
    supplement = _register(_supplement_file())
    if supplement not in QFont.substitutes(main):
        QFont.insertSubstitution(main, supplement)
    return [main, supplement]


def load_qt_font(font_file: Path) -> QFont:
    """Register the font file (and the supplement) with Qt; return the UI font."""
    families = bundled_families(font_file)
    font = QFont(families[0], UI_POINT_SIZE)
    font.setFamilies(families)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    return font


def register_matplotlib_font(font_file: Path) -> str:
    """Make the font matplotlib's default family (for printable charts); returns its name.

    The supplement follows as a second family: matplotlib falls back glyph by glyph along
    ``font.family``."""
    from matplotlib import font_manager, rcParams

    supplement = _supplement_file()
    font_manager.fontManager.addfont(str(font_file))
    font_manager.fontManager.addfont(str(supplement))
    name = font_manager.FontProperties(fname=str(font_file)).get_name()
    rcParams["font.family"] = [name,
                               font_manager.FontProperties(fname=str(supplement)).get_name()]
    rcParams["axes.unicode_minus"] = False  # the font has no U+2212; use ASCII minus
    return name


def configure_pyqtgraph() -> None:
    """Light theme for pyqtgraph; its text items inherit the application font."""
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background="w", foreground="#333333")


def install_fonts(qt_app: QApplication, font_file: Path) -> QFont:
    """Set the bundled font as the application font and for both chart libraries."""
    font = load_qt_font(font_file)
    qt_app.setFont(font)
    register_matplotlib_font(font_file)
    configure_pyqtgraph()
    return font


# -- printed sheets (issue 14) -------------------------------------------------------------


@cache
def print_families() -> tuple[str, ...]:
    """The bundled families for printing, registered from their files (once).

    A font Qt knows only by name is not embedded in a PDF, and an installed font chosen by
    the locale may draw Chinese glyph shapes; printed text is therefore checked with
    ``print_covers`` first and set in these two files only."""
    from resources import resource_path

    return tuple(bundled_families(resource_path(*MAIN_FONT_FILE)))


def print_font_family() -> str:
    """The main printing family (IPAexGothic)."""
    return print_families()[0]


def print_font(point_size: float, *, bold: bool = False) -> QFont:
    """The bundled fonts for printing: IPAexGothic, then the supplement for what it lacks.

    Font merging stays on so that Qt takes a character IPAexGothic lacks from the next
    family; text that neither covers must be replaced beforehand (``print_covers``)."""
    font = QFont(print_font_family())
    font.setFamilies(list(print_families()))
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


@cache
def _own_metrics() -> tuple[QFontMetricsF, ...]:
    """Metrics of each bundled family alone (no merging: its own glyphs only)."""
    metrics = []
    for family in print_families():
        font = QFont(family)
        font.setFamilies([family])
        font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
        metrics.append(QFontMetricsF(font))
    return tuple(metrics)


def print_covers(char: str) -> bool:
    """True if one of the bundled fonts has a glyph for the character (not an installed
    font: those are never used on paper)."""
    point = ord(char)
    return any(metrics.inFontUcs4(point) for metrics in _own_metrics())
