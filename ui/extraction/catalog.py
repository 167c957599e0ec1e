"""What a condition of the 抽出 builder can be made of, as the service allows this role.

Fields come from the service's catalogue, so a role is offered only the datasets it may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernel.date_style import DateStyle
from toda_desktop.extraction import Change, CountInWindow, Membership, Threshold

if TYPE_CHECKING:
    from toda_desktop.extraction.service import FieldInfo, SurveyInfo

Leaf = Threshold | Membership | Change | CountInWindow


@dataclass(frozen=True)
class Catalog:
    """What a condition can be built from, as the service allows this role."""

    fields: tuple[FieldInfo, ...]
    surveys: tuple[SurveyInfo, ...]
    schools: tuple[tuple[str, str], ...]  # (code, name)
    grades: tuple[int, ...]
    date_style: DateStyle = DateStyle.SEIREKI  # how the editors write dates

    def field(self, kind: str, key: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.kind == kind and f.field == key), None)

    def kind_fields(self, kind: str) -> list[FieldInfo]:
        return [f for f in self.fields if f.kind == kind]

    def has_round(self, kind: str) -> bool:
        return self.field(kind, "round") is not None

    @property
    def event_kinds(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for f in self.fields:
            if f.has_event_date:
                seen.setdefault(f.kind, f.kind_label)
        return list(seen.items())

    @property
    def membership(self) -> bool:
        return self.field("enrollments", "school_code") is not None
