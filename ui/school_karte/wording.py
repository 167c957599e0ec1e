"""The school karte's fixed words and the look of a result's state (colour, mark and text).

A state is never shown by colour alone: each has a mark and words, so that it reads in grey
print and for colour-blind readers (▲ 市より高い, ▼ 市より低い, ？ 差は不確か, ＝ 市と同程度,
― 少人数のため非表示: 10人未満の集団と、差し引きでそれが分かってしまう集団)."""

from __future__ import annotations

from dataclasses import dataclass

CAPTION = (
    "この画面の数値は、学校の改善に役立てるための「関連」を示すものです。"
    "学校や教職員を評価・判定するものではありません。学校は常に学校コードの順に並べています。"
)
CAPTION_SHORT = "改善のための関連を示すもので、学校や教職員の評価ではありません。"
RULE_NOTE = (
    "色は、市の値との差が±7ポイント以上で、95%区間が市の値を含まないときだけ付けます。"
    "区間が市の値を含むときは「差は不確か」です（小さな集団の差の多くは偶然の揺れです）。"
)


@dataclass(frozen=True)
class StateLook:
    """How one state of a cell is drawn: mark + words, text colour, background."""

    mark: str
    words: str
    fg: str
    bg: str


# Light backgrounds of similar lightness: the mark and the words carry the meaning in print.
ABOVE = StateLook("▲", "市より高い", "#14532d", "#dcefe0")
BELOW = StateLook("▼", "市より低い", "#8c1d18", "#fbe3e1")
UNCERTAIN = StateLook("？", "差は不確か", "#4b5563", "#e9ebee")
SIMILAR = StateLook("＝", "市と同程度", "#1f2937", "#ffffff")
SUPPRESSED = StateLook("―", "少人数のため非表示", "#6b7280", "#f4f4f4")
NO_DATA = StateLook("", "回答なし", "#6b7280", "#ffffff")

LOOKS = {
    "above": ABOVE,
    "below": BELOW,
    "uncertain": UNCERTAIN,
    "within": SIMILAR,
    "suppressed": SUPPRESSED,
    "none": NO_DATA,
}


def look(state: str) -> StateLook:
    return LOOKS.get(state, NO_DATA)


def legend_items() -> list[StateLook]:
    return [ABOVE, BELOW, UNCERTAIN, SIMILAR, SUPPRESSED]
