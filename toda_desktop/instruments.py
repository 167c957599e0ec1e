"""Survey instruments whose answers are scores, rates or categories (resources/instruments.toml).

Their answers are ordinary 調査回答 rows; this declaration tells the importer how to read an
instrument's export (one column per item), and the karte and the extraction what an answer
means (a score to average, a rate, a category that may call for attention). Adding an
instrument is an edit to the TOML file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from resources import resource_path

ANSWER_KINDS = ("score", "rate", "category")
ANSWER_LABELS = {"score": "得点", "rate": "割合", "category": "区分", "choice": "選択肢"}
# survey_items.answer_type (回答の種類) → answer kind
ITEM_ANSWER_TYPES = {"得点": "score", "割合": "rate", "区分": "category", "選択肢": "choice"}


@dataclass(frozen=True)
class InstrumentItem:
    code: str
    label: str
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    answer: str  # score | rate | category
    items: tuple[InstrumentItem, ...]
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()
    concern: tuple[str, ...] = ()
    category_items: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    rounds: bool = False  # given more than once a year (Q-U 第1回・第2回): 回 must be known

    def answer_of(self, item_code: str) -> str:
        """What an answer of this item is: score, rate or category."""
        return "category" if item_code in self.category_items else self.answer

    def item_label(self, item_code: str) -> str:
        return next((i.label for i in self.items if i.code == item_code), item_code)


def parse_instruments(data: dict[str, object]) -> tuple[Instrument, ...]:
    out = []
    raw_all = data.get("instruments", {})
    assert isinstance(raw_all, dict)
    for code, raw in raw_all.items():
        answer = str(raw["answer"])
        if answer not in ANSWER_KINDS:
            raise ValueError(f"instrument {code}: unknown answer kind {answer!r}")
        items = tuple(
            InstrumentItem(str(k), str(v[0]), tuple(str(h) for h in v))
            for k, v in dict(raw.get("items", {})).items()
        )
        out.append(Instrument(
            code=str(code), name=str(raw["name"]), answer=answer, items=items,
            min=None if raw.get("min") is None else float(raw["min"]),
            max=None if raw.get("max") is None else float(raw["max"]),
            categories=tuple(str(c) for c in raw.get("categories", ())),
            concern=tuple(str(c) for c in raw.get("concern", ())),
            category_items=tuple(str(c) for c in raw.get("category_items", ())),
            words=tuple(str(w) for w in raw.get("words", ())),
            rounds=bool(raw.get("rounds", False)),
        ))
    return tuple(out)


@cache
def instruments() -> tuple[Instrument, ...]:
    with resource_path("instruments.toml").open("rb") as f:
        return parse_instruments(tomllib.load(f))


def instrument(code: str) -> Instrument | None:
    return next((i for i in instruments() if i.code == code), None)


__all__ = ["ANSWER_LABELS", "ITEM_ANSWER_TYPES", "Instrument", "InstrumentItem", "instrument",
           "instruments", "parse_instruments"]
