"""The bundled Japanese font, made the one font of Qt widgets, pyqtgraph and matplotlib.

Administration PCs differ in installed fonts; bundling IPAexGothic means that labels,
charts and printouts render the same everywhere and never show tofu boxes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

UI_POINT_SIZE = 10


class FontError(RuntimeError):
    """The bundled font file could not be loaded (a broken install)."""


def load_qt_font(font_file: Path) -> QFont:
    """Register the font file with Qt and return the UI font built from it."""
    font_id = QFontDatabase.addApplicationFont(str(font_file))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise FontError(f"cannot load bundled font: {font_file}")
    font = QFont(families[0], UI_POINT_SIZE)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    return font


def register_matplotlib_font(font_file: Path) -> str:
    """Make the font matplotlib's default family (for printable charts); returns its name."""
    from matplotlib import font_manager, rcParams

    font_manager.fontManager.addfont(str(font_file))
    name = font_manager.FontProperties(fname=str(font_file)).get_name()
    rcParams["font.family"] = name
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

_print_family: str | None = None


def print_font_family() -> str:
    """The family of the bundled font, registered from its file (once).

    A font Qt knows only by name is not embedded in a PDF, and with font merging on, Qt may
    fill a character from another installed font chosen by the locale (Chinese glyph shapes
    for 髙 or 﨑); printed sheets therefore use this file and nothing else."""
    global _print_family
    if _print_family is None:
        from resources import resource_path

        _print_family = load_qt_font(resource_path("fonts", "ipaexg.ttf")).family()
    return _print_family


def print_font(point_size: float, *, bold: bool = False) -> QFont:
    """The bundled font for printing: its own glyphs only (no fallback to other fonts)."""
    font = QFont(print_font_family())
    font.setFamilies([print_font_family()])
    font.setPointSizeF(point_size)
    font.setBold(bold)
    font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    return font
