"""Per-term attendance (出欠状況（学期）) as junior-high schools report it.

Junior-high schools sum their monthly attendance per term: 1学期 April–August, 2学期
September–December, 3学期 January–March. The totals are computed from the city's monthly
rows, so both views of a pupil agree; a pupil who changed school within a term has one row for
the term, summed over both schools (as the term report of the school they ended in shows it).
"""

from __future__ import annotations

import pandas as pd

from toda_desktop.demo.frames import make_frame

TERM_OF_MONTH = {4: "1学期", 5: "1学期", 6: "1学期", 7: "1学期", 8: "1学期", 9: "2学期",
                 10: "2学期", 11: "2学期", 12: "2学期", 1: "3学期", 2: "3学期", 3: "3学期"}
SUMMED = ("school_days", "absence_days", "sick_days", "accident_days", "suspension_days",
          "late_count", "early_leave_count")


def attendance_term(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Term totals of the pupils enrolled in a junior-high school that month."""
    att = frames["attendance_monthly"]
    schools = frames["schools"]
    enrol = frames["enrollments"]
    junior = set(schools.loc[schools["school_type"] == "中学校", "school_code"].astype(str))
    in_junior = enrol.loc[enrol["school_code"].astype(str).isin(junior),
                          ["address_code", "school_year"]].drop_duplicates()
    rows = att.merge(in_junior, on=["address_code", "school_year"], how="inner")
    rows = rows.assign(term=rows["month"].map(TERM_OF_MONTH))
    by = ["address_code", "school_year", "term"]
    grouped = rows.groupby(by, sort=True)
    data: dict[str, object] = {}
    for col in SUMMED:
        # A term sum is unknown when any month of it is unknown (min_count: never 0 for NA).
        values = grouped[col].sum(min_count=1)
        # Vectorised (a per-group Python call took most of the demo city's generation).
        unknown = rows[col].isna().groupby([rows[k] for k in by], sort=True).any()
        known = values.to_numpy(dtype=object)
        known[unknown.to_numpy(dtype=bool)] = None
        data[col] = known
    keys = grouped.size().reset_index()
    return make_frame("attendance_term", {
        "address_code": keys["address_code"].to_numpy(dtype=object),
        "school_year": keys["school_year"].to_numpy(),
        "term": keys["term"].to_numpy(dtype=object),
        **data,
    })
