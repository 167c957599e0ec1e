"""Survey item master (調査設問マスタ) and answers (調査回答) of the city's instruments.

Instruments, rounds, grade bands, item codes and texts come from ``surveys.toml``. An answer
(1–4) is an ordinal cut of a latent attitude: the pupil's general positivity, a personal
offset per domain, a decline with grade, and a pull down by the latent risk that differs by
domain (strongest for friends, teachers, learning and self-esteem). Recent bullying lowers the
friend domain, ability raises the learning domain. Reversed items (肯定的回答 1,2) are answered
on the flipped scale. Pupils in a truancy episode mostly miss the survey day. Each school
shifts the attitude by its planted climate per domain and a drift per year and round
(``school_effects``), so schools and rounds differ as they do in a real city. A pupil's worse
school year (``engagement``, shared with the 県学調) lowers the later rounds' answers, so
the lesson and happiness surveys fall together for some pupils, as the push-support
criteria expect of a real city.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kernel.school_calendar import SCHOOL_MONTHS as MONTHS
from toda_desktop.demo import params
from toda_desktop.demo.engagement import engagement_dip
from toda_desktop.demo.frames import iso_dates, make_frame
from toda_desktop.demo.rng import stream
from toda_desktop.demo.school_effects import school_effects
from toda_desktop.demo.world import World

DOMAINS = ("学習", "友人関係", "教師関係", "家庭", "生活", "自己肯定感")


@dataclass(frozen=True)
class Item:
    survey_code: str
    band: str
    code: str
    text: str
    domain: str
    positive: tuple[int, ...]
    choices: int
    since: int | None
    until: int | None

    def active(self, year: int) -> bool:
        return (self.since is None or year >= self.since) and (
            self.until is None or year <= self.until
        )

    @property
    def reversed(self) -> bool:
        return min(self.positive) == 1


def _band_of(bands: dict[str, list[int]], grade: int) -> str:
    return next(b for b, grades in bands.items() if grade in grades)


def instrument_items(instrument: dict[str, Any]) -> list[Item]:
    """Every (band, item) of an instrument as declared in ``surveys.toml``."""
    out = []
    for raw in instrument["items"]:
        for band, code in raw["codes"].items():
            text = raw.get("texts", {}).get(band, raw.get("text"))
            out.append(
                Item(
                    survey_code=instrument["code"],
                    band=band,
                    code=code,
                    text=str(text),
                    domain=str(raw["domain"]),
                    positive=tuple(int(v) for v in raw.get("positive", (3, 4))),
                    choices=int(instrument["choices"]),
                    since=raw.get("since"),
                    until=raw.get("until"),
                )
            )
    return out


def survey_items(world: World) -> pd.DataFrame:
    """The item master: one row per instrument, school year, grade and item."""
    spec = params.surveys()
    bands: dict[str, list[int]] = spec["bands"]
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "survey_code",
            "school_year",
            "grade",
            "item_code",
            "item_text",
            "choice_count",
            "positive_answers",
            "domain",
            "answer_type",
        )
    }
    for inst in spec["instruments"]:
        items = instrument_items(inst)
        for year in world.years:
            for grade in inst["grades"]:
                band = _band_of(bands, grade)
                for it in items:
                    if it.band != band or not it.active(year):
                        continue
                    cols["survey_code"].append(it.survey_code)
                    cols["school_year"].append(year)
                    cols["grade"].append(grade)
                    cols["item_code"].append(it.code)
                    cols["item_text"].append(it.text)
                    cols["choice_count"].append(it.choices)
                    cols["positive_answers"].append(",".join(str(v) for v in it.positive))
                    cols["domain"].append(it.domain)
                    cols["answer_type"].append("選択肢")
    return make_frame("survey_items", cols)


def survey_responses(world: World) -> pd.DataFrame:
    """Long-format answers: one row per pupil, round, subject and item."""
    assert world.risk is not None
    risk = world.risk
    rng = stream(world.config.seed, "surveys")
    p = params.calibration()["surveys"]
    spec = params.surveys()
    bands: dict[str, list[int]] = spec["bands"]
    enr = world.enrollment
    n_p = len(world.pupils)
    person = rng.normal(0, float(p["sd_person"]), n_p)
    domain_offset = rng.normal(0, float(p["sd_domain"]), (n_p, len(DOMAINS)))
    subject_offset = 0.5 * risk.ability[:, None] + rng.normal(0, 0.6, (n_p, 3))
    risk_effect = {d: float(v) for d, v in p["risk_effect"].items()}
    cuts = np.asarray(params.floats(p["cutpoints"]))
    bullied_any = np.cumsum(risk.bullied, axis=1)
    planted = school_effects(world.config.seed, len(world.schools), len(world.years),
                             len(DOMAINS))
    dip = engagement_dip(world.config.seed, n_p, len(world.years))
    decline = float(p["engagement_decline"])

    parts: dict[str, list[Any]] = {
        k: []
        for k in (
            "address_code",
            "survey_code",
            "school_year",
            "round",
            "survey_date",
            "subject",
            "item_code",
            "answer",
            "_order",
        )
    }
    for yi, year in enumerate(world.years):
        in_year = np.flatnonzero(enr.year_idx == yi)
        for i_inst, inst in enumerate(spec["instruments"]):
            items = [it for it in instrument_items(inst) if it.active(year)]
            subjects: dict[str, list[str]] = inst.get("subjects", {})
            per_subject = bool(subjects)
            for rnd, month in zip(inst["rounds"], inst["months"], strict=True):
                mi = MONTHS.index(int(month))
                t = yi * 12 + mi
                # One survey day per school and round.
                school_day = world.calendar.random_days(
                    np.full(len(world.schools), yi), np.full(len(world.schools), mi), rng
                )
                e = in_year[
                    np.isin(enr.grade[in_year], inst["grades"])
                    & (enr.start_m[in_year] <= mi)
                    & (enr.end_m[in_year] >= mi)
                ]
                pid = enr.pid[e]
                truant = risk.truant[pid, t]
                answered = rng.random(len(e)) < np.where(
                    truant, float(p["respond_truant"]), float(p["respond"])
                )
                e, pid = e[answered], pid[answered]
                grade_band = np.asarray([_band_of(bands, int(g)) for g in range(1, 10)])
                band = grade_band[enr.grade[e] - 1]
                for b in np.unique(band).tolist():
                    eb = e[band == b]
                    pb = pid[band == b]
                    b_items = [it for it in items if it.band == b]
                    b_subjects: list[str | None] = list(subjects.get(b, [])) or [None]
                    combos = [(s, it) for s in b_subjects for it in b_items]
                    if not combos or not len(eb):
                        continue
                    k = len(combos)
                    rows_e = np.repeat(eb, k)
                    rows_p = np.repeat(pb, k)
                    c_idx = np.tile(np.arange(k), len(eb))
                    subj_slot = np.asarray(
                        [0 if s is None else b_subjects.index(s) for s, _ in combos]
                    )[c_idx]
                    dom = np.asarray([DOMAINS.index(it.domain) for _, it in combos])[c_idx]
                    item_shift = np.asarray(
                        [
                            (zlib.crc32(it.code.encode()) % 1000) / 1000 * 0.6 - 0.3
                            for _, it in combos
                        ]
                    )[c_idx]
                    rev = np.asarray([it.reversed for _, it in combos])[c_idx]
                    r = risk.risk[rows_p, t]
                    lam = np.asarray([risk_effect[d] for d in DOMAINS])[dom]
                    recent_bully = bullied_any[rows_p, t] - np.where(
                        t >= 3, bullied_any[rows_p, max(t - 3, 0)], 0
                    )
                    latent = (
                        float(p["intercept"])
                        - float(p["grade_slope"]) * (enr.grade[rows_e] - 1)
                        + person[rows_p]
                        + domain_offset[rows_p, dom]
                        + item_shift
                        - lam * r
                        + np.where(dom == 0, float(p["ability_effect"]) * risk.ability[rows_p], 0)
                        + np.where(
                            (dom == 0) & per_subject,
                            subject_offset[rows_p, np.minimum(subj_slot, 2)],
                            0,
                        )
                        - np.where(dom == 1, float(p["bullied_effect"]) * (recent_bully > 0), 0)
                        - np.where(
                            dom == 3, float(p["welfare_effect"]) * world.pupils.welfare[rows_p], 0
                        )
                        + rng.normal(0, float(p["noise_sd"]), len(rows_e))
                        + planted.climate[enr.school[rows_e], dom]
                        + planted.drift[enr.school[rows_e], yi, min(int(rnd), 3) - 1]
                        - decline * (min(int(rnd), 3) - 1) * dip[rows_p, yi]
                    )
                    answer = 1 + (latent[:, None] > cuts[None, :]).sum(axis=1)
                    answer = np.where(rev, 5 - answer, answer)
                    parts["address_code"].append(world.pupils.address_code[rows_p])
                    parts["survey_code"].append(np.full(len(rows_e), inst["code"], dtype=object))
                    parts["school_year"].append(np.full(len(rows_e), year))
                    parts["round"].append(np.full(len(rows_e), rnd))
                    parts["survey_date"].append(iso_dates(school_day[enr.school[rows_e]]))
                    parts["subject"].append(np.asarray([s for s, _ in combos], dtype=object)[c_idx])
                    parts["item_code"].append(
                        np.asarray([it.code for _, it in combos], dtype=object)[c_idx]
                    )
                    parts["answer"].append(answer)
                    # Sort key: year, instrument, round, roster order, subject and item.
                    parts["_order"].append(
                        (((yi * 10 + i_inst) * 10 + rnd) * len(enr) + rows_e) * 1000 + c_idx
                    )
    cols = {k: np.concatenate(v) if v else np.asarray([]) for k, v in parts.items()}
    order = np.argsort(cols.pop("_order"), kind="stable")
    return make_frame("survey_responses", {k: v[order] for k, v in cols.items()})
