"""The 県学調 school questionnaire (学校質問紙): answered once a year by each school.

Items follow the prefectural survey's school questionnaire in spirit (lesson practice, ICT,
home study, support for pupils who stay away); answers are 1–4 choices, with a school's
answers stable from year to year, and one free-text item.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toda_desktop.demo.frames import make_frame
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import World

ITEMS = (
    ("SQ01", "授業で、児童生徒が課題の解決に向けて話し合う活動を取り入れた"),
    ("SQ02", "授業でICT機器を毎日活用した"),
    ("SQ03", "家庭学習の課題を学年で統一して与えた"),
    ("SQ04", "不登校の児童生徒への支援について、校内で組織的に検討した"),
    ("SQ05", "学級生活の満足度の調査結果を指導に生かした"),
)
FREE_TEXT = ("SQ06", "今年度、特に力を入れた取組（記述）")
FREE_ANSWERS = ("家庭学習の手引きを全学年で見直した", "校内教育支援センターを開室した",
                "ICTを活用した個別の学習を進めた", "")


def school_questionnaire(world: World) -> pd.DataFrame:
    rng = stream(world.config.seed, "school_questionnaire")
    n = len(world.schools)
    base = rng.integers(1, 5, size=(n, len(ITEMS)))
    cols: dict[str, list[object]] = {k: [] for k in
                                     ("school_year", "school_code", "item_code", "item_text",
                                      "answer")}
    for year in world.years:
        drift = rng.integers(-1, 2, size=base.shape) * (rng.random(base.shape) < 0.2)
        base = np.clip(base + drift, 1, 4)
        for s in range(n):
            for i, (code, text) in enumerate(ITEMS):
                cols["school_year"].append(year)
                cols["school_code"].append(str(world.schools.code[s]))
                cols["item_code"].append(code)
                cols["item_text"].append(text)
                cols["answer"].append(str(int(base[s, i])))
            free = FREE_ANSWERS[int(rng.integers(0, len(FREE_ANSWERS)))]
            if free:
                cols["school_year"].append(year)
                cols["school_code"].append(str(world.schools.code[s]))
                cols["item_code"].append(FREE_TEXT[0])
                cols["item_text"].append(FREE_TEXT[1])
                cols["answer"].append(free)
    return make_frame("school_questionnaire", cols)
