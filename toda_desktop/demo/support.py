"""Consultations (教育相談・SC/SSW) and bullying records (いじめ等の記録).

Consultations come more often for pupils with a high latent risk and most often during a
truancy episode (then more SC and SSW). Bullying cases come from the victim events of the risk
process (they also raise the victim's strain): each case has a 被害 row, usually one or two
加害 rows for classmates of the same grade and sometimes an その他 (bystander) row, all sharing
the case's date, 態様 and resolution. Free text is generic and never names anyone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from toda_desktop.demo import params
from toda_desktop.demo.attendance import PupilMonths
from toda_desktop.demo.frames import iso_dates, make_frame, nullable
from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import IntArray, World

CONSULT_TYPES = ("教育相談", "SC", "SSW")


def consultations(world: World, months: PupilMonths) -> pd.DataFrame:
    rng = stream(world.config.seed, "consultations")
    p = params.calibration()["consultations"]
    text = params.phrases()["consultations"]
    has_days = months.school_days > 0
    lam = (
        float(p["base"])
        + float(p["risk_effect"]) / (1 + np.exp(-(months.risk - float(p["risk_midpoint"]))))
        + float(p["truant"]) * months.truant
    ) * has_days
    count = np.minimum(rng.poisson(lam), 3)
    row = np.repeat(np.arange(len(months)), count)
    n = len(row)
    day = world.calendar.random_days(months.year_idx[row], months.month_idx[row], rng)
    truant = months.truant[row]
    w_t = np.asarray(params.floats(p["type_weights_truant"]))
    w_o = np.asarray(params.floats(p["type_weights_other"]))
    kind = np.where(
        truant, rng.choice(3, n, p=w_t / w_t.sum()), rng.choice(3, n, p=w_o / w_o.sum())
    )
    ctype = np.asarray(CONSULT_TYPES, dtype=object)[kind]
    w_c = np.asarray(params.floats(text["consultant_weights"]))
    consultant = np.asarray(text["consultant"], dtype=object)[
        rng.choice(len(w_c), n, p=w_c / w_c.sum())
    ]
    summary = np.empty(n, dtype=object)
    for i, t in enumerate(CONSULT_TYPES):
        mask = kind == i
        options = np.asarray(text["summary"][t], dtype=object)
        summary[mask] = options[rng.integers(0, len(options), int(mask.sum()))]
    cols = {
        "address_code": world.pupils.address_code[months.pid[row]],
        "consult_date": iso_dates(day),
        "consult_type": ctype,
        "consultant": consultant,
        "summary": nullable(summary, rng.random(n) < float(p["missing_summary"])),
    }
    frame = make_frame("consultations", cols)
    frame = frame.iloc[np.lexsort((day, row))].reset_index(drop=True)
    dup = frame.duplicated(["address_code", "consult_date", "consult_type", "consultant"])
    return frame[~dup].reset_index(drop=True)


def _classmates(rng: np.random.Generator, group: IntArray, victims: IntArray) -> IntArray:
    """For each victim row, another row of the same group (-1 if the group has one row)."""
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    first = np.searchsorted(g_sorted, group[victims], side="left")
    last = np.searchsorted(g_sorted, group[victims], side="right")
    size = last - first
    pick = first + (rng.random(len(victims)) * size).astype(np.int64)
    chosen = order[pick]
    # A draw that hits the victim takes the next row of the group instead (wrapping around).
    after = first + (pick - first + 1) % np.maximum(size, 1)
    chosen = np.where(chosen == victims, order[after], chosen)
    return np.where(size > 1, chosen, -1)


def bullying_records(world: World, months: PupilMonths) -> pd.DataFrame:
    rng = stream(world.config.seed, "bullying")
    p = params.calibration()["bullying"]
    text = params.phrases()["bullying"]
    enr = world.enrollment
    victims = np.flatnonzero(months.bullied & (months.school_days > 0))
    n = len(victims)
    day = world.calendar.random_days(months.year_idx[victims], months.month_idx[victims], rng)
    w = np.asarray(params.floats(text["kind_weights"]))
    kind = np.asarray(text["kind"], dtype=object)[rng.choice(len(w), n, p=w / w.sum())]
    serious = (rng.random(n) < float(p["serious"])).astype(np.int64)
    as_of = int(world.calendar.dates.max())
    resolved_day = (
        day + int(p["resolve_min_days"]) + rng.integers(0, int(p["resolve_spread_days"]), n)
    )
    resolved = (rng.random(n) < float(p["resolved_share"])) & (resolved_day <= as_of)
    open_status = np.asarray(text["status_open"], dtype=object)
    status = np.where(
        resolved, text["status_resolved"], open_status[rng.integers(0, len(open_status), n)]
    )

    school = enr.school[months.enr]
    grade = enr.grade[months.enr]
    group = ((months.t * len(world.schools) + school) * 10 + grade).astype(np.int64)
    parts_row = [victims]
    parts_case = [np.arange(n)]
    parts_role = [np.zeros(n, dtype=np.int64)]
    extra = ((1, 1.0), (1, float(p["second_aggressor"])), (2, float(p["bystander"])))
    for role_code, share in extra:
        chosen = np.flatnonzero(rng.random(n) < share)
        other = _classmates(rng, group, victims[chosen])
        ok = other >= 0
        parts_row.append(other[ok])
        parts_case.append(chosen[ok])
        parts_role.append(np.full(int(ok.sum()), role_code, dtype=np.int64))
    row = np.concatenate(parts_row)
    case = np.concatenate(parts_case)
    role = np.concatenate(parts_role)
    cols = {
        "address_code": world.pupils.address_code[months.pid[row]],
        "recognized_date": iso_dates(day[case]),
        "role": np.asarray(["被害", "加害", "その他"], dtype=object)[role],
        "kind": kind[case],
        "serious": serious[case],
        "resolved_date": nullable(iso_dates(resolved_day[case]), ~resolved[case]),
        "status": status[case].astype(object),
    }
    frame = make_frame("bullying_records", cols)
    frame = frame.iloc[np.lexsort((role, case, day[case]))].reset_index(drop=True)
    dup = frame.duplicated(["address_code", "recognized_date", "role", "kind"])
    return frame[~dup].reset_index(drop=True)


def support_frames(world: World, months: PupilMonths) -> dict[str, Any]:
    return {
        "consultations": consultations(world, months),
        "bullying_records": bullying_records(world, months),
    }
