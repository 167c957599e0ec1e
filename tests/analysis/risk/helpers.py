"""The demo city's frames as model inputs (pupil ids in place of 宛名番号), for tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.risk.panel import RiskInputs, compact_inputs, survey_positive_shares
from toda_desktop.demo import DemoCity


def city_inputs(city: DemoCity, *, with_welfare: bool = True) -> RiskInputs:
    f = city.frames
    codes = f["students"]["address_code"].astype(str)
    ids = pd.Series(np.arange(1, len(codes) + 1, dtype=np.int64), index=codes.to_numpy())

    def linked(kind: str, columns: list[str]) -> pd.DataFrame:
        frame = f[kind]
        out = frame[columns].copy()
        out.insert(0, "pupil_id", frame["address_code"].astype(str).map(ids).to_numpy())
        return out

    enrollments = linked("enrollments", ["school_year", "school_code", "grade",
                                         "special_needs_class", "japanese_support"])
    responses = linked("survey_responses", ["survey_code", "school_year", "round",
                                            "survey_date", "item_code", "answer"])
    pupils = pd.DataFrame({"pupil_id": ids.to_numpy(), "sex": f["students"]["sex"].to_numpy()})
    if with_welfare:
        truth = city.truth["pupils"].assign(address_code=lambda d: d["address_code"].astype(str))
        pupils["welfare"] = codes.map(truth.set_index("address_code")["welfare"]).to_numpy()
    return compact_inputs(RiskInputs(
        attendance=linked("attendance_monthly", ["school_year", "month", "school_days",
                                                 "absence_days", "sick_days", "accident_days",
                                                 "suspension_days", "late_count",
                                                 "early_leave_count"]),
        enrollments=enrollments,
        schools=f["schools"][["school_code", "school_type"]].copy(),
        long_absence=linked("long_absence", ["school_year", "month", "absence_days", "truancy"]),
        health_room=linked("health_room_visits", ["visit_date", "symptom"]),
        consultations=linked("consultations", ["consult_date"]),
        survey=survey_positive_shares(responses, f["survey_items"], enrollments),
        academic=linked("academic_results", ["school_year", "subject", "level"]),
        pupils=pupils,
    ))


HIDDEN_STATE = ("hidden_truant", "hidden_risk", "hidden_truant_days")


def with_hidden_state(city: DemoCity, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus the generator's hidden state at each month-end (tests only).

    Columns :data:`HIDDEN_STATE`: in a truancy episode, the latent risk, the episode's days.
    A model given them shows how much a perfect reading of the pupil's situation could add —
    the ceiling any honest model on the demo city works under.
    """
    att = city.frames["attendance_monthly"]
    truth = city.truth["attendance"]
    codes = city.frames["students"]["address_code"].astype(str)
    ids = pd.Series(np.arange(1, len(codes) + 1, dtype=np.int64), index=codes.to_numpy())
    first = int(att["school_year"].min())
    hidden = pd.DataFrame({
        "pupil_id": att["address_code"].astype(str).map(ids).to_numpy(),
        "t": (att["school_year"].to_numpy() - first) * 12 + (att["month"].to_numpy() - 4) % 12,
        "hidden_truant": truth["truant"].to_numpy(dtype=np.float64),
        "hidden_risk": truth["risk"].to_numpy(dtype=np.float64),
        "hidden_truant_days": truth["truant_days"].to_numpy(dtype=np.float64),
    })
    out = frame.merge(hidden, on=["pupil_id", "t"], how="left")
    out.index = frame.index
    return out
