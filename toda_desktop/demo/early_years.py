"""Records from other departments before school: infant checkups and preschool history.

Only pupils who lived in the city then have them (born here for checkups; here at preschool
age for 保育・幼稚園), and they are keyed by 宛名番号 alone, as the resident-register systems
of those departments keep them. Checkup findings lean towards 要観察/要精密 for pupils who
later attend a 特別支援学級. A pupil may have attended a 保育所 and then a 幼稚園.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from toda_desktop.demo import params
from toda_desktop.demo.frames import iso_dates, make_frame, nullable
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import IntArray, World

CHECKUPS = ("4か月", "1歳6か月", "3歳")
FINDINGS = ("異常なし", "要観察", "要精密", "要治療")
FACILITIES = ("保育所", "幼稚園", "認定こども園", "その他")
EPOCH = date(1970, 1, 1)


def _add_months(days: IntArray, months: IntArray) -> IntArray:
    """Same day of month ``months`` later (clipped to the month's end would not matter here)."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = (m + months).astype("datetime64[D]").astype(np.int64)
    return np.asarray(target + np.minimum(dom, 27), dtype=np.int64)


def infant_checkups(world: World) -> pd.DataFrame:
    rng = stream(world.config.seed, "infant_checkups")
    p = params.calibration()["infant_checkups"]
    pupils = world.pupils
    pid = np.flatnonzero(pupils.born_in_city)
    uptake = params.floats(p["uptake"])
    offsets = [(4, 0, 25), (18, 0, 50), (36, 10, 120)]  # months after birth, day window
    sn = pupils.special_needs_grade[pid] < 99
    parts_pid, parts_type, parts_day, parts_find = [], [], [], []
    base = np.asarray(params.floats(p["finding_weights"]))
    sn_w = np.asarray(params.floats(p["finding_weights_special_needs"]))
    for k, (months, lo, hi) in enumerate(offsets):
        took = rng.random(len(pid)) < uptake[k]
        q = pid[took]
        day = _add_months(pupils.birth[q], np.full(len(q), months)) + rng.integers(
            lo, hi + 1, len(q)
        )
        w = np.where(sn[took][:, None] & (k > 0), sn_w[None, :], base[None, :])
        cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
        finding = (rng.random(len(q))[:, None] > cum).sum(axis=1)
        parts_pid.append(q)
        parts_type.append(np.full(len(q), k))
        parts_day.append(day)
        parts_find.append(np.minimum(finding, 3))
    q = np.concatenate(parts_pid)
    order = np.lexsort((np.concatenate(parts_type), q))
    kind = np.concatenate(parts_type)[order]
    q = q[order]
    day = np.concatenate(parts_day)[order]
    finding = np.concatenate(parts_find)[order]
    n = len(q)
    return make_frame(
        "infant_checkups",
        {
            "address_code": pupils.address_code[q],
            "checkup_type": np.asarray(CHECKUPS, dtype=object)[kind],
            "checkup_date": nullable(iso_dates(day), rng.random(n) < float(p["missing_date"])),
            "finding_class": nullable(
                np.asarray(FINDINGS, dtype=object)[finding],
                rng.random(n) < float(p["missing_finding"]),
            ),
        },
    )


def _day(year: IntArray, month: int, dom: int) -> IntArray:
    """Days since epoch of the given calendar date for an array of years."""
    lookup = {int(y): (date(int(y), month, dom) - EPOCH).days for y in np.unique(year)}
    return np.asarray([lookup[int(y)] for y in year], dtype=np.int64)


def preschool(world: World) -> pd.DataFrame:
    rng = stream(world.config.seed, "preschool")
    p = params.calibration()["preschool"]
    text = params.phrases()["preschool"]
    pupils = world.pupils
    pid = np.flatnonzero(pupils.preschool_in_city)
    n = len(pid)
    cohort = pupils.cohort[pid]
    # Pathways: 0 保育所, 1 幼稚園, 2 認定こども園, 3 保育所 then 幼稚園, 4 その他, 5 none.
    w = np.asarray(params.floats(p["pathway_weights"]))
    path = rng.choice(len(w), n, p=w / w.sum())
    exit_year = cohort  # leaves on 31 March before entering grade 1 in April of `cohort`
    nursery_age = rng.choice(4, n, p=[0.3, 0.4, 0.2, 0.1])  # 0歳児 … 3歳児 class at entry
    kinder_years = np.where(rng.random(n) < 0.7, 3, 2)
    rows_pid: list[IntArray] = []
    rows_type: list[IntArray] = []
    rows_in: list[IntArray] = []
    rows_out: list[IntArray] = []

    def add(mask: IntArray, ftype: int, entry_year: IntArray, leave_year: IntArray) -> None:
        rows_pid.append(pid[mask])
        rows_type.append(np.full(int(mask.sum()), ftype))
        rows_in.append(_day(entry_year[mask], 4, 1))
        rows_out.append(_day(leave_year[mask], 3, 31))

    nursery_age = np.where(path == 3, np.minimum(nursery_age, 1), nursery_age)
    nursery_entry = cohort - 6 + nursery_age
    kinder_entry = cohort - kinder_years
    add((path == 0) | (path == 3), 0, nursery_entry, np.where(path == 3, kinder_entry, exit_year))
    add((path == 1) | (path == 3), 1, kinder_entry, exit_year)
    add(path == 2, 2, nursery_entry, exit_year)
    add(path == 4, 3, kinder_entry, exit_year)
    q = np.concatenate(rows_pid)
    ftype = np.concatenate(rows_type)
    entry = np.concatenate(rows_in)
    leave = np.concatenate(rows_out)
    # 0歳児 often start after parental leave, not on 1 April.
    late = (ftype != 1) & (rng.random(len(q)) < 0.25)
    entry = entry + np.where(late, rng.integers(30, 240, len(q)), 0)
    entry = np.maximum(entry, pupils.birth[q] + 57)
    order = np.lexsort((entry, q))
    q, ftype, entry, leave = q[order], ftype[order], entry[order], leave[order]
    k = len(q)
    notes_w = np.asarray(params.floats(text["notes_weights"]))
    notes = np.asarray(text["notes"], dtype=object)[
        rng.choice(len(notes_w), k, p=notes_w / notes_w.sum())
    ]
    return make_frame(
        "preschool",
        {
            "address_code": pupils.address_code[q],
            "facility_type": np.asarray(FACILITIES, dtype=object)[ftype],
            "entry_date": iso_dates(entry),
            "exit_date": nullable(iso_dates(leave), rng.random(k) < float(p["missing_exit"])),
            "record_note": nullable(notes, rng.random(k) >= float(text["share_with_text"])),
        },
    )
