"""The hidden state of a generated city, shared by the steps that turn it into datasets.

Arrays are indexed by school index, pupil id (``pid``) or enrollment row; the datasets are
views of this state. Dates are ``int64`` days since 1970-01-01 until the frames are built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from toda_desktop.demo.config import DemoConfig
from toda_desktop.demo.schooldays import SchoolCalendar

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True)
class Schools:
    code: StrArray
    name: StrArray
    junior_high: BoolArray
    district: IntArray  # index of the junior-high school whose district the school is in
    welfare_rate: FloatArray  # percent of pupils receiving 就学援助
    size_factor: FloatArray

    def __len__(self) -> int:
        return len(self.code)


@dataclass(frozen=True)
class Pupils:
    """Everyone who was enrolled at some time in the generated years; index = pid."""

    cohort: IntArray  # school year in which the pupil is (or would be) in grade 1
    female: BoolArray
    birth: IntArray
    address_code: StrArray
    pref_id: StrArray
    google_account: StrArray
    name: StrArray
    name_kana: StrArray
    home_school: IntArray  # first school in the data
    entry_kind: IntArray  # 0 there at the start, 1 new grade 1, 2 transfer in, 3 JH entrant
    special_needs_grade: IntArray  # grade from which in 特別支援学級 (99 never)
    jsl_until_grade: IntArray  # 日本語指導 while grade < this (0 never)
    born_in_city: BoolArray
    preschool_in_city: BoolArray
    welfare: BoolArray  # receives 就学援助 (hidden: only school rates are published)
    twin_of: IntArray  # pid of the co-twin, -1 if none
    homonym_of: IntArray  # pid with identical name and birth date in another school, -1

    def __len__(self) -> int:
        return len(self.cohort)


@dataclass(frozen=True)
class Enrollment:
    """One row per pupil and school year; months are indexes 0 (April) .. 11 (March)."""

    pid: IntArray
    year_idx: IntArray
    school: IntArray
    grade: IntArray
    start_m: IntArray  # first enrolled month (transfer in)
    end_m: IntArray  # last enrolled month (transfer out)
    class_name: StrArray
    seat: IntArray
    special_needs: BoolArray
    jsl: BoolArray

    def __len__(self) -> int:
        return len(self.pid)


@dataclass(frozen=True)
class Risk:
    """Latent per-pupil-month process on the generated years (index [pid, year_idx*12+m])."""

    risk: FloatArray  # latent risk r = static vulnerability + AR(1) strain
    truant: BoolArray  # in a truancy (不登校) episode this month
    onset: BoolArray  # the episode started this month
    intensity: FloatArray  # share of school days missed while truant (per pupil)
    bullied: BoolArray  # became a bullying victim this month
    ability: FloatArray  # general academic ability (per pupil, standard normal)
    frailty: FloatArray  # illness proneness multiplier (per pupil)
    lateness: FloatArray  # lateness proneness multiplier (per pupil)
    illness: FloatArray  # share of days missed through a long illness [pid, month] (mostly 0)
    vulnerability: FloatArray  # static part of the risk (per pupil)


@dataclass
class World:
    config: DemoConfig
    calendar: SchoolCalendar
    schools: Schools
    pupils: Pupils
    enrollment: Enrollment
    risk: Risk | None = None

    @property
    def years(self) -> tuple[int, ...]:
        return self.config.years
