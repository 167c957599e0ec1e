"""Generation of a whole demo city: one frame per registry kind, plus the hidden truth.

The steps run in a fixed order (population → latent risk → attendance → records → surveys …)
and each draws from its own named random stream, so the city is a pure function of its
config. ``truth`` holds what a real city never sees (latent risk, truancy episodes, twins,
homonyms, the planted school effects) for tests and for evaluating the risk model honestly;
it is not a dataset kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from kernel.progress import CancelFlag, Progress
from kernel.school_calendar import SCHOOL_MONTHS as MONTHS
from storage.errors import Cancelled as StoreCancelled
from storage.registry import default_registry
from toda_desktop.demo import (
    academics,
    early_years,
    health,
    questionnaire,
    registers,
    support,
    surveys,
    terms,
)
from toda_desktop.demo.attendance import PupilMonths, attendance_frames
from toda_desktop.demo.config import DemoConfig
from toda_desktop.demo.frames import nullable
from toda_desktop.demo.population import build_population, build_schools
from toda_desktop.demo.risk import simulate_risk
from toda_desktop.demo.school_effects import school_effects
from toda_desktop.demo.schooldays import build_calendar
from toda_desktop.demo.world import World


class Cancelled(StoreCancelled):
    """The caller's cancel flag was set; nothing was returned or written."""


@dataclass(frozen=True)
class DemoCity:
    config: DemoConfig
    as_of: date
    frames: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)


def _truth(world: World, months: PupilMonths) -> dict[str, pd.DataFrame]:
    assert world.risk is not None
    p = world.pupils
    pupils = pd.DataFrame(
        {
            "address_code": pd.array(p.address_code, dtype="string"),
            "entry_kind": p.entry_kind,
            "cohort": p.cohort,
            "vulnerability": world.risk.vulnerability,
            "ability": world.risk.ability,
            "welfare": p.welfare.astype(np.int64),
            "twin_of": pd.array(
                nullable(p.address_code[np.maximum(p.twin_of, 0)], p.twin_of < 0),
                dtype="string",
            ),
            "homonym_of": pd.array(
                nullable(p.address_code[np.maximum(p.homonym_of, 0)], p.homonym_of < 0),
                dtype="string",
            ),
        }
    )
    # Aligned row by row with frames["attendance_monthly"].
    attendance = pd.DataFrame(
        {
            "risk": months.risk,
            "truant": months.truant.astype(np.int64),
            "onset": months.onset.astype(np.int64),
            "bullied": months.bullied.astype(np.int64),
            "truant_days": months.truant_days,
        }
    )
    # The planted school effects (issue 15): what the school karte's estimates should find.
    effects = school_effects(world.config.seed, len(world.schools), len(world.years),
                             len(surveys.DOMAINS))
    schools = pd.DataFrame({
        "school_code": pd.array(world.schools.code, dtype="string"),
        "growth_effect": effects.growth,
        "learning_climate": effects.climate[:, 0],
    })
    return {"pupils": pupils, "attendance": attendance, "schools": schools}


def generate_city(
    config: DemoConfig,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> DemoCity:
    """Generate every dataset kind of a demo city (deterministic for ``config``)."""

    def step(fraction: float) -> None:
        if cancel is not None and cancel():
            raise Cancelled()
        if progress is not None:
            progress(fraction)

    step(0.0)
    calendar = build_calendar(config.years)
    schools = build_schools(config)
    pupils, enrollment = build_population(config, schools)
    world = World(config, calendar, schools, pupils, enrollment)
    step(0.1)
    world.risk = simulate_risk(world)
    step(0.3)
    frames: dict[str, pd.DataFrame] = {
        "students": registers.students(world),
        "schools": registers.schools(world),
        "enrollments": registers.enrollments(world),
        "school_context": registers.school_context(world),
    }
    step(0.4)
    att, months = attendance_frames(world)
    frames.update(att)
    step(0.55)
    frames["health_room_visits"] = health.health_room_visits(world, months)
    frames["health_checkups"] = health.health_checkups(world, months)
    frames.update(support.support_frames(world, months))
    step(0.7)
    frames["academic_results"] = academics.academic_results(world)
    frames["survey_items"] = surveys.survey_items(world)
    frames["survey_responses"] = surveys.survey_responses(world)
    frames["school_questionnaire"] = questionnaire.school_questionnaire(world)
    frames["attendance_term"] = terms.attendance_term(frames)
    step(0.9)
    frames["infant_checkups"] = early_years.infant_checkups(world)
    frames["preschool"] = early_years.preschool(world)
    truth = _truth(world, months)
    step(1.0)
    order = default_registry().names
    as_of = calendar.month_end(len(config.years) - 1, len(MONTHS) - 1)
    return DemoCity(config=config, as_of=as_of, frames={k: frames[k] for k in order}, truth=truth)
