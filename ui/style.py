"""Colours and small style sheets, kept in one module so windows look alike."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from kernel.store_kind import StoreKind

ACCENT = "#1f5fa8"
MUTED_COLOR = "#5f6b7a"
ERROR_COLOR = "#b3261e"
OK_COLOR = "#1e7b34"
# Risk bands' colours: text colour, background, border. Always shown with the band's text.
BAND_COLORS = {
    "高": ("#8c1d18", "#fbe3e1", "#e7a9a4"),
    "中": ("#7a4b00", "#fff1d0", "#e9c77a"),
    "低": ("#34495e", "#eef2f6", "#c5cfd9"),
}

# A survey domain below the grade's mean (「学年と比べて低めです」): its own colour, not band
# 中's orange, so that a note about answers is not read as a risk band (issue 16).
BELOW_GRADE_COLOR = "#5b3a99"

PRODUCT_TITLE = f"font-size: 20pt; font-weight: bold; color: {ACCENT};"
PAGE_TITLE = "font-size: 16pt; font-weight: bold;"
SECTION_TITLE = "font-size: 12pt; font-weight: bold;"
MUTED = f"color: {MUTED_COLOR};"
ERROR_TEXT = (
    f"color: {ERROR_COLOR}; background: #fdecea; border: 1px solid #f5c2c0;"
    " border-radius: 4px; padding: 6px;"
)
NOTICE_TEXT = (
    "color: #0b3d6e; background: #e8f1fb; border: 1px solid #b6d0ee;"
    " border-radius: 4px; padding: 6px;"
)
OK_TEXT = (
    f"color: {OK_COLOR}; background: #e9f6ec; border: 1px solid #b9dfc2;"
    " border-radius: 4px; padding: 6px;"
)
CARD = (
    "QFrame#loginCard, QFrame#infoCard { background: white; border: 1px solid #d0d7de;"
    " border-radius: 6px; }"
)
DEMO_PANEL = (
    "QFrame#demoPanel { background: #fff8e1; border: 2px solid #f0a500; border-radius: 6px; }"
    " QLabel#demoHeading { font-size: 12pt; font-weight: bold; color: #8a5a00; }"
)

# Banner colours per store kind: production has none (it is the normal case).
_BANNERS = {
    "demo": ("#f0a500", "#3d2b00", "デモ用データベースです。表示される児童生徒はすべて架空です。"),
    "test": ("#7b1fa2", "white", "テスト用データベースです。業務には使用しないでください。"),
}


def store_kind_banner(store_kind: StoreKind, kind_label: str) -> QWidget | None:
    """A coloured strip that keeps demo and test stores from being mistaken for production."""
    spec = _BANNERS.get(store_kind)
    if spec is None:
        return None
    background, foreground, text = spec
    banner = QLabel(f"【{kind_label}】 {text}")
    banner.setObjectName("storeKindBanner")
    banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
    banner.setStyleSheet(
        f"background: {background}; color: {foreground}; font-weight: bold; padding: 6px;"
    )
    return banner
