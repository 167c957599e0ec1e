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
