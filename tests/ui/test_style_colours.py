"""Colours that mean different things look different (issue 16: band 中 and 「学年と比べて
低めです」 were the same orange)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ui import style
from ui.karte import risk_section


def _hue_gap(a: str, b: str) -> int:
    ha, hb = QColor(a).hslHue(), QColor(b).hslHue()
    gap = abs(ha - hb)
    return min(gap, 360 - gap)


def test_below_the_grade_is_not_coloured_like_any_risk_band() -> None:
    assert risk_section.WEAK_COLOR == style.BELOW_GRADE_COLOR
    for band, (text, _background, _border) in style.BAND_COLORS.items():
        if QColor(text).hslSaturation() > 100:  # (band 低 is a slate grey)
            assert _hue_gap(style.BELOW_GRADE_COLOR, text) >= 60, band
        assert style.BELOW_GRADE_COLOR.lower() != text.lower(), band
