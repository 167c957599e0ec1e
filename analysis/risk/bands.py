"""Risk shown as bands (高 / 中 / 低), never as a number or a city-wide rank.

The band is read from the predicted probability of a 不登校 onset next month:
高 at :data:`HIGH` or more (about one in five or more such pupils did), 中 at :data:`MIDDLE`
or more, 低 below. A pupil on a school's alert list can be 低: the list is the school's top
k, whatever their level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

HIGH = 0.20
MIDDLE = 0.05
BANDS = ("高", "中", "低")
BAND_TEXT = {
    "高": "高（翌月に不登校となる見込みがおおむね5人に1人以上の水準）",
    "中": "中（おおむね20人に1人以上の水準）",
    "低": "低（それ未満。学校内の順位で一覧に入っています）",
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
