"""The basic registers: pupils (master), schools, enrollments and school context.

school_context has one row per school and year (学年 and 組 empty) with counts as of May 1
(学校基本調査), staff (with each school's planted trend), and the rates in percent computed
from the enrolled pupils, and one row per grade with that grade's count and rates (教職員数
and 就学援助率 empty: not kept per grade).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from toda_desktop.demo.frames import iso_dates, make_frame, nullable
from toda_desktop.demo.rng import stream
from toda_desktop.demo.school_effects import school_effects
from toda_desktop.demo.world import World


def students(world: World) -> pd.DataFrame:
    p = world.pupils
    return make_frame(
        "students",
        {
            "address_code": p.address_code,
            "name": p.name,
            "name_kana": p.name_kana,
            "birth_date": iso_dates(p.birth),
            "sex": np.where(p.female, "女", "男"),
        },
    )


def schools(world: World) -> pd.DataFrame:
    s = world.schools
    return make_frame(
        "schools",
        {
            "school_code": s.code,
            "school_name": s.name,
            "school_type": np.where(s.junior_high, "中学校", "小学校"),
        },
    )


def enrollments(world: World) -> pd.DataFrame:
    e = world.enrollment
    p = world.pupils
    return make_frame(
        "enrollments",
        {
            "address_code": p.address_code[e.pid],
            "school_year": np.asarray(world.years)[e.year_idx],
            "school_code": world.schools.code[e.school],
            "grade": e.grade,
            "class_name": e.class_name,
            "seat_number": e.seat,
            "pref_id": nullable(p.pref_id[e.pid], e.grade < 4),
            "google_account": p.google_account[e.pid],
            "special_needs_class": e.special_needs.astype(np.int64),
            "japanese_support": e.jsl.astype(np.int64),
        },
    )


def school_context(world: World) -> pd.DataFrame:
    rng = stream(world.config.seed, "school_context")
    # The planted staff trend (issue 15): 学校基礎情報 changes over the years.
    trend = school_effects(world.config.seed, len(world.schools), len(world.years), 1).staff_trend
    e = world.enrollment
    n_s = len(world.schools)
    may = (e.start_m <= 1) & (e.end_m >= 1)
    welfare = world.pupils.welfare[e.pid]
    frame = pd.DataFrame(
        {
            "yi": e.year_idx[may],
            "school": e.school[may],
            "grade": e.grade[may],
            "class_name": e.class_name[may],
            "sn": e.special_needs[may],
            "jsl": e.jsl[may],
            "welfare": welfare[may],
        }
    )
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "school_year",
            "school_code",
            "grade",
            "class_name",
            "pupil_count",
            "staff_count",
            "welfare_rate",
            "special_needs_rate",
            "japanese_support_rate",
        )
    }

    def pct(x: pd.Series) -> float:
        return round(100.0 * float(x.mean()), 1)

    for key, g in frame.groupby(["yi", "school"], sort=True):
        yi, school = cast(tuple[int, int], key)
        n_classes = g["class_name"].astype(str).add(g["grade"].astype(str)).nunique()
        staff = round(1.3 * n_classes + 9 + float(rng.normal(0, 2))
                      + float(trend[int(school)]) * int(yi))
        for grade, gg in [(None, g), *g.groupby("grade", sort=True)]:
            rows["school_year"].append(world.years[int(yi)])
            rows["school_code"].append(world.schools.code[int(school)])
            rows["grade"].append(None if grade is None else int(grade))
            rows["class_name"].append(None)
            rows["pupil_count"].append(len(gg))
            rows["staff_count"].append(staff if grade is None else None)
            rows["welfare_rate"].append(pct(gg["welfare"]) if grade is None else None)
            rows["special_needs_rate"].append(pct(gg["sn"]))
            rows["japanese_support_rate"].append(pct(gg["jsl"]))
    assert n_s > 0
    return make_frame("school_context", {k: np.asarray(v, dtype=object) for k, v in rows.items()})
