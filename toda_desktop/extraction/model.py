"""The condition tree of an extraction, as plain data that can be saved and re-run.

Years are relative: ``Period.year_offset`` counts from the extraction's base school year
(0 = that year, -1 = the year before), and the base year is the latest in the store unless the
extraction fixes one, so a saved extraction re-runs on next year's data unchanged.

Leaves:

* :class:`Threshold` — a field of a dataset compared with a value: thresholds (欠席日数 ≥ 5 in
  some month), equality, lists (のいずれか); per row ("any" row of the period) or on an
  aggregate over the period (sum, max, min, avg, count).
* :class:`Membership` — enrolled (在籍) in one of the chosen schools or grades in a school
  year. Saved definitions of an older version held it as an ``in`` Threshold on the
  enrollments' school or grade; :func:`from_json` reads those as a Membership.
* :class:`Change` — a measure compared between two periods (rounds or years): a field
  aggregate (学力レベルの平均) or a survey's positivity (肯定的回答の割合).
* :class:`CountInWindow` — at least n records within any window of d days (保健室利用 3回以上
  in 30 days).

:class:`Group` combines nodes with AND / OR. Every node can be switched off (``enabled``)
and negated (``negate``: pupils of the population who do *not* meet it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

from toda_desktop.errors import UserFacingError
from toda_desktop.phrase import Part, Phrase, SchoolYear, join

Scalar = int | float | str | bool | None
Value = Scalar | tuple[Scalar, ...]

OPERATORS = {
    ">=": "以上", ">": "より大きい", "<=": "以下", "<": "未満", "==": "と等しい",
    "!=": "と異なる", "in": "のいずれか", "not_in": "のいずれでもない",
}
AGGREGATES = {
    "any": "いずれかの記録", "sum": "合計", "max": "最大", "min": "最小", "avg": "平均",
    "count": "件数",
}
DIRECTIONS = {
    "fell": "低下", "rose": "上昇", "same_or_fell": "同じか低下", "same_or_rose": "同じか上昇",
}


@dataclass(frozen=True)
class Period:
    """A part of the timeline relative to the base school year."""

    year_offset: int | None = 0  # None: any year
    round: int | None = None  # survey round (回)
    month: int | None = None  # calendar month within the school year

    def label(self, base_year: int | None = None) -> Phrase:
        """「2025年度 6月 第1回」 (the year as a value, written in the user's date style)."""
        parts: list[Part] = []
        if self.year_offset is not None:
            if base_year is not None:
                parts.append(SchoolYear(base_year + self.year_offset))
            else:
                parts.append({0: "当該年度", -1: "前年度"}.get(
                    self.year_offset, f"{self.year_offset:+d}年度"))
        if self.month is not None:
            parts.append(f"{self.month}月")
        if self.round is not None:
            parts.append(f"第{self.round}回")
        return join([(p,) for p in parts], " ") or ("全期間",)


@dataclass(frozen=True)
class FieldTest:
    """A row filter inside a leaf: ``field op value`` (e.g. 教科 = 国語, 症状区分 = 心因)."""

    field: str
    op: str
    value: Value


@dataclass(frozen=True)
class Threshold:
    kind: str
    field: str
    op: str
    value: Value
    period: Period | None = Period()
    aggregate: str = "any"
    where: tuple[FieldTest, ...] = ()
    label: str = ""
    enabled: bool = True
    negate: bool = False


# What a membership can be about: the enrollments' column, and its word.
MEMBERSHIP_KIND = "enrollments"
MEMBERSHIP_TARGETS = {"school_code": "学校", "grade": "学年"}


@dataclass(frozen=True)
class Membership:
    """Pupils enrolled (在籍) in one of ``values`` (school codes, or grades 1–9) in the school
    year ``year_offset`` (None: in any school year)."""

    target: str  # a key of MEMBERSHIP_TARGETS
    values: tuple[str | int, ...]
    year_offset: int | None = 0
    label: str = ""
    enabled: bool = True
    negate: bool = False


@dataclass(frozen=True)
class FieldMeasure:
    kind: str
    field: str
    aggregate: str = "avg"
    where: tuple[FieldTest, ...] = ()


@dataclass(frozen=True)
class SurveyPositivity:
    """Share of positive answers (肯定的回答 of the item master), in percent."""

    survey_code: str
    domain: str | None = None  # 領域; None = every item
    subject: str | None = None  # 教科 (LESSON is asked per subject); None = all


Measure = FieldMeasure | SurveyPositivity


@dataclass(frozen=True)
class Change:
    measure: Measure
    before: Period
    after: Period
    direction: str = "fell"
    amount: float = 0.0  # fell/rose: by at least this much; same_or_*: tolerance
    label: str = ""
    enabled: bool = True
    negate: bool = False

    def holds(self, before: float, after: float) -> bool:
        d = after - before
        eps = 1e-9
        if self.direction == "fell":
            return d < -eps if self.amount <= 0 else d <= -self.amount + eps
        if self.direction == "rose":
            return d > eps if self.amount <= 0 else d >= self.amount - eps
        if self.direction == "same_or_fell":
            return d <= max(self.amount, 0.0) + eps
        if self.direction == "same_or_rose":
            return d >= -max(self.amount, 0.0) - eps
        raise ValueError(self.direction)


@dataclass(frozen=True)
class CountInWindow:
    kind: str  # a dataset with an event date (保健室利用, 相談, いじめ…)
    min_count: int
    window_days: int
    period: Period | None = Period()
    where: tuple[FieldTest, ...] = ()
    label: str = ""
    enabled: bool = True
    negate: bool = False


@dataclass(frozen=True)
class Group:
    op: str = "and"  # "and" | "or"
    items: tuple[Node, ...] = ()
    label: str = ""
    enabled: bool = True
    negate: bool = False


Node = Threshold | Membership | Change | CountInWindow | Group
Leaf = Threshold | Membership | Change | CountInWindow


@dataclass(frozen=True)
class Extraction:
    name: str
    root: Group = field(default_factory=Group)
    school_year: int | None = None  # base year; None: the latest school year in the store
    description: str = ""

    def leaves(self, *, enabled_only: bool = True) -> list[Leaf]:
        return list(_leaves(self.root, enabled_only))

    def with_root(self, root: Group) -> Extraction:
        return replace(self, root=root)


def _leaves(node: Node, enabled_only: bool) -> list[Leaf]:
    if enabled_only and not node.enabled:
        return []
    if isinstance(node, Group):
        return [leaf for item in node.items for leaf in _leaves(item, enabled_only)]
    return [node]


# -- JSON ----------------------------------------------------------------------------------

_TYPES: dict[str, type] = {
    "threshold": Threshold, "membership": Membership, "change": Change,
    "count": CountInWindow, "group": Group,
    "field_measure": FieldMeasure, "survey_positivity": SurveyPositivity, "period": Period,
    "test": FieldTest,
}
_NAMES = {v: k for k, v in _TYPES.items()}


def _dump(value: Any) -> Any:
    if type(value) in _NAMES:
        out: dict[str, Any] = {"type": _NAMES[type(value)]}
        for f in fields(value):
            out[f.name] = _dump(getattr(value, f.name))
        return out
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        cls = _TYPES.get(str(value.get("type")))
        if cls is None:
            raise ValueError(f"unknown node type {value.get('type')!r}")
        names = {f.name for f in fields(cls)}
        kwargs = {k: _load(v) for k, v in value.items() if k != "type" and k in names}
        node = cls(**kwargs)
        return as_membership(node) if isinstance(node, Threshold) else node
    if isinstance(value, list):
        return tuple(_load(v) for v in value)
    return value


def as_membership(node: Threshold) -> Threshold | Membership:
    """The older form of a membership (「在籍している学校・学年」 saved as an ``in`` Threshold on
    the enrollments' school or grade, any row, no narrowing) as a Membership; any other
    threshold unchanged. A month or round of its period never narrowed the enrollments,
    which have neither, so only the year carries over."""
    if (node.kind != MEMBERSHIP_KIND or node.field not in MEMBERSHIP_TARGETS
            or node.op != "in" or node.aggregate != "any" or node.where):
        return node
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    kept = tuple(v for v in values if isinstance(v, str | int) and not isinstance(v, bool))
    if len(kept) != len(values):
        return node
    return Membership(
        node.field, kept,
        year_offset=None if node.period is None else node.period.year_offset,
        label=node.label, enabled=node.enabled, negate=node.negate)


def to_json(extraction: Extraction) -> str:
    return json.dumps(
        {"format": 1, "name": extraction.name, "school_year": extraction.school_year,
         "description": extraction.description, "root": _dump(extraction.root)},
        ensure_ascii=False, sort_keys=True,
    )


def from_json(text: str) -> Extraction:
    try:
        data = json.loads(text)
        root = _load(data["root"])
        if not isinstance(root, Group):
            raise ValueError("root must be a group")
        year = data.get("school_year")
        return Extraction(name=str(data["name"]), root=root,
                          school_year=None if year is None else int(year),
                          description=str(data.get("description", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise UserFacingError(f"抽出条件の形式が正しくありません（{exc}）。") from None
