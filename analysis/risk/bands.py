"""Risk shown as bands (高 / 中 / 低), never as a number or a city-wide rank.

The band is read from the predicted probability of a 不登校 onset next month:
高 at :data:`HIGH` or more (about one in five or more such pupils did), 中 at :data:`MIDDLE`
or more, 低 below. A pupil on a school's alert list can be 低: the list is the k pupils a
school checks on first, whatever their level.

The words for the event live here too, so every screen names it the same way: 不登校 as the
長期欠席調査 reports it, or 30 days in the school year of absence other than 病気欠席 and
出席停止・忌引. The words never say 順位 (no pupil is ranked against another on screen).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

HIGH = 0.20
MIDDLE = 0.05
BANDS = ("高", "中", "低")
# The event in a few words (legends, chart notes) and spelled out once per screen.
# (「病気・出席停止以外」 as the reasons and the simple rankings say it.)
EVENT_SHORT = "不登校（病気・出席停止以外の欠席が30日）"
EVENT_DEFINITION = (
    "ここでの「不登校」は、長期欠席調査で理由が「不登校」と報告されること、または年度内の欠席"
    "のうち病気欠席と出席停止・忌引を除いた日数が30日に達することです。"
)
BAND_TEXT = {
    "高": "高（翌月に不登校となる見込みがおおむね5人に1人以上の水準）",
    "中": "中（おおむね20人に1人以上の水準）",
    "低": "低（それ未満。一覧は学校ごとに数人を示すため、「低」でも入ることがあります）",
}


def band_of(probability: float) -> str:
    if probability >= HIGH:
        return "高"
    if probability >= MIDDLE:
        return "中"
    return "低"


def bands(probabilities: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    p = np.asarray(probabilities, dtype=np.float64)
    return np.where(p >= HIGH, "高", np.where(p >= MIDDLE, "中", "低"))
