"""Column and dataset-kind specifications as the analysis functions read them.

The registry (``storage.registry``) is the source of these specifications, but analysis may
not import storage. The Protocols below name exactly the attributes analysis reads, with the
registry's attribute names, so the registry's ``ColumnSpec`` and ``DatasetKind`` objects can be
passed in directly. :class:`FieldSpec` and :class:`KindSpec` are small stand-ins for tests and
for callers without a registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Column types the value parser understands (the registry's COLUMN_TYPES).
COLUMN_TYPES = frozenset(
    {
        "code", "digits", "text", "name", "kana", "date", "time", "int", "float", "percent",
        "school_year", "month", "grade", "enum", "bool", "list", "email", "answer",
    }
)
INT_TYPES = frozenset({"int", "school_year", "month", "grade"})
FLOAT_TYPES = frozenset({"float", "percent"})
NUMERIC_TYPES = INT_TYPES | FLOAT_TYPES


class ColumnLike(Protocol):
    """One column of a dataset kind (attribute names of ``storage.registry.ColumnSpec``)."""

    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def synonyms(self) -> Sequence[str]: ...
    @property
    def ref(self) -> str | None: ...
    @property
    def values(self) -> Sequence[str]: ...
    @property
    def value_synonyms(self) -> Sequence[tuple[str, str]]: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...


class KindLike(Protocol):
    """A dataset kind (attribute names of ``storage.registry.DatasetKind``)."""

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def columns(self) -> Sequence[ColumnLike]: ...


@dataclass(frozen=True)
class FieldSpec:
    """A column specification for callers that have no registry object at hand."""

    key: str
    label: str
    type: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    ref: str | None = None
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    value_synonyms: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"unknown column type {self.type!r}")


@dataclass(frozen=True)
class KindSpec:
    name: str
    label: str
    columns: tuple[FieldSpec, ...]
