"""The growth (value-added) panel: what was estimated, in words, then the funnel plot, the
caterpillar plot and the quadrant — every school in school-code order, the open school (if
any) ringed, never coloured as good or bad."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from toda_desktop.formatting import format_count
from ui import style
from ui.school_karte.adapt import growth_points
from ui.school_karte.charts import CaterpillarPlot, FunnelPlot, QuadrantPlot

if TYPE_CHECKING:
    from toda_desktop.school_karte.models import SchoolEffect, ValueAdded

METHOD = (
    "伸びは、同じ児童生徒の前年度から今年度への県学調の学力レベル（教科の平均）の変化です。"
    "前年度の学力レベルと、学校の就学援助率・特別支援学級在籍率・日本語指導率の影響を調整し、"
    "人数の少ない学校の値が偶然で大きく振れないよう市の平均の方へ縮めて（経験ベイズ）推定しています。"
    "0は市の平均と同じ伸びを表します。"
)


def effect_sentence(effect: SchoolEffect | None, name: str) -> str:
    if effect is None:
        return (f"{name}は、伸びを計算できた児童生徒が10人未満のため、推定していません。")
    low, high = effect.interval.low, effect.interval.high
    if low <= 0.0 <= high:
        reading = "95%区間が0をまたぐため、市の平均との差ははっきりしません"
    elif effect.effect > 0:
        reading = "95%区間は0より上にあり、市の平均より伸びている傾向があります"
    else:
        reading = "95%区間は0より下にあり、市の平均より伸びが小さい傾向があります"
    return (f"{name}: 伸びの推定値 {effect.effect:+.2f}（95%区間 {low:+.2f}〜{high:+.2f}）、"
            f"計算した児童生徒 {format_count(effect.n)}人。{reading}。"
            f"伸ばした児童生徒の割合 {effect.grew_share:.1f}%。")


class GrowthPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 8)
        layout.setSpacing(8)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(style.NOTICE_TEXT)
        layout.addWidget(self.summary)
        self.method = QLabel(METHOD)
        self.method.setWordWrap(True)
        self.method.setStyleSheet(style.MUTED)
        layout.addWidget(self.method)
        self.empty = QLabel("")
        self.empty.setWordWrap(True)
        self.empty.hide()
        layout.addWidget(self.empty)
        charts = QGridLayout()
        charts.setHorizontalSpacing(18)
        charts.setVerticalSpacing(14)
        self.funnel = FunnelPlot()
        self.caterpillar = CaterpillarPlot()
        self.quadrant = QuadrantPlot()
        charts.addWidget(self.funnel, 0, 0)
        charts.addWidget(self.caterpillar, 0, 1)
        charts.addWidget(self.quadrant, 1, 0)
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(style.MUTED)
        charts.addWidget(self.warnings, 1, 1, Qt.AlignmentFlag.AlignTop)
        charts.setColumnStretch(0, 1)
        charts.setColumnStretch(1, 1)
        self.charts = QWidget()
        self.charts.setLayout(charts)
        layout.addWidget(self.charts)
        layout.addStretch(1)

    def show_growth(self, growth: ValueAdded | None, names: dict[str, str],
                    focus: str | None = None, effect: SchoolEffect | None = None) -> None:
        if growth is None or not growth.effects:
            self.charts.hide()
            self.summary.hide()
            self.empty.setText("伸び（付加価値）を推定できるデータがありません（前年度と今年度の"
                               "県学調結果、学校基礎情報を閲覧できる役割で、10人以上の学校が必要です）。")
            self.empty.show()
            return
        self.empty.hide()
        self.charts.show()
        funnel, caterpillar, quadrant, limits = growth_points(growth, names)
        self.funnel.set_data(funnel, limits, focus)
        self.caterpillar.set_data(caterpillar, focus)
        self.quadrant.set_data(quadrant, 0.0, growth.city_grew_share, focus)
        if focus is not None:
            self.summary.setText(effect_sentence(effect, names.get(focus, focus)))
        else:
            self.summary.setText(
                f"市全体で伸びを計算できた児童生徒 {format_count(growth.pupils)}人、"
                f"学力レベルを伸ばした児童生徒の割合 {growth.city_grew_share:.1f}%。"
                "学校は学校コードの順に並べています。")
        self.summary.show()
        model = (f"学校間のばらつき（標準偏差）{growth.tau:.2f}、"
                 f"学校内のばらつき {growth.sigma:.2f}（学力レベル）。")
        self.warnings.setText("\n".join([model, *growth.warnings]))
