"""The dataset registry: every dataset kind of the interchange format, declared once.

The declaration lives in ``resources/datasets.toml``; this module turns it into typed,
immutable objects that the importer, the store, the policy, the karte and the data
dictionary all read. Adding a dataset kind or a column is an edit to that file, not code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from resources import resource_path

COLUMN_TYPES = frozenset(
    {
        "code", "digits", "text", "name", "kana", "date", "time", "int", "float", "percent",
        "school_year", "month", "grade", "enum", "bool", "list", "email", "answer",
    }
)
# "answer" (a survey answer: a choice number, a score such as 55 or 0.83, or a category such
# as 満足群) is NUMERIC: numbers are stored and compared as numbers, categories as text.
SQL_TYPES = {
    "int": "INTEGER", "school_year": "INTEGER", "month": "INTEGER", "grade": "INTEGER",
    "bool": "INTEGER", "float": "REAL", "percent": "REAL", "answer": "NUMERIC",
}
PERSON_REF_ROLES = frozenset(
    {
        "address_code", "school_code", "grade", "class_name", "seat_number", "pref_id",
        "google_account", "name", "name_kana", "birth_date", "sex",
    }
)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# The number of a row among identical rows of a kind whose identical rows may be real repeats
# (two visits to the health room on one day with nothing else written): 1, 2, …
OCCURRENCE = "occurrence"
# A blank optional key part equals another blank one. The store's unique index compares
# ifnull(column, BLANK_KEY); the import's preview compares the same (one rule, so that a
# preview that passes commits).
BLANK_KEY = ""


class RegistryError(ValueError):
    """The registry file is inconsistent; raised at load time, never at run time."""


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    type: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    ref: str | None = None
    stored: bool = True
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    # Other spellings of the values seen in real files: (spelling, one of ``values``).
    value_synonyms: tuple[tuple[str, str], ...] = ()

    @property
    def sql_type(self) -> str:
        return SQL_TYPES.get(self.type, "TEXT")

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that names this column: the label first, then synonyms."""
        return (self.label, *self.synonyms)


# What happens when a retention class ends (``RetentionClass.action``).
DELETE = "delete"  # the pupil's rows of the kind are deleted, no bytes left
PSEUDONYMISE = "pseudonymise"  # identifying columns removed; a random pseudonym stays
KEEP = "keep"  # no personal data: no end
RETENTION_ACTIONS = (DELETE, PSEUDONYMISE, KEEP)
ACTION_LABELS = {
    DELETE: "削除",
    PSEUDONYMISE: "識別情報を削除し仮名で保持",
    KEEP: "期限なし",
}
# The person references that identify a pupil: removed when the identifying retention ends
# (sex, school, grade and class stay, so that school-level statistics still add up).
IDENTIFYING_REFS = frozenset(
    {"address_code", "pref_id", "google_account", "name", "name_kana", "birth_date"}
)


@dataclass(frozen=True)
class RetentionClass:
    """How long a kind's rows are kept after the pupil left, why, and what happens then.

    ``years`` counts from the end of the school year of the pupil's last enrolment
    (``storage.repos.leavers``); None for ``keep``. ``basis`` is the legal text or the city's
    own rule, as the office cites it."""

    key: str
    label: str
    description: str
    basis: str
    years: int | None
    action: str

    @property
    def years_after_leaving(self) -> int | None:
        return self.years

    @property
    def ends(self) -> bool:
        """Whether rows of this class ever leave the store in identifiable form."""
        return self.action != KEEP

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]

    @property
    def period_label(self) -> str:
        """The period as the data dictionary and the plan show it."""
        return "期限なし" if self.years is None else f"卒業・転出から{self.years}年"


@dataclass(frozen=True)
class DatasetKind:
    name: str
    label: str
    domain: str
    retention: str
    pupil: bool
    columns: tuple[ColumnSpec, ...]
    natural_key: tuple[str, ...]
    karte_section: str
    topics: tuple[str, ...] = ()
    master: bool = False
    event_date: str | None = None
    repeats: bool = False  # identical rows may be real repeated events (kept on request)
    # Columns naming one occasion of a repeating kind (a visit: 利用日 + 入室時刻): a new row
    # on a stored occasion with other values is reported as a possible correction.
    occasion: tuple[str, ...] = ()
    _by_key: dict[str, ColumnSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.update({c.key: c for c in self.columns})

    @property
    def table(self) -> str:
        """Name of the store table; safe as an SQL identifier (checked at load)."""
        return f"ds_{self.name}"

    @property
    def stored_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.stored)

    @property
    def person_ref_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.ref is not None)

    @property
    def identifying_columns(self) -> tuple[ColumnSpec, ...]:
        """Stored columns that identify a pupil (``IDENTIFYING_REFS``): what
        pseudonymisation removes."""
        return tuple(c for c in self.stored_columns if c.ref in IDENTIFYING_REFS)

    @property
    def links_to_pupil(self) -> bool:
        """Rows of this kind are linked to a pupil of the master (``pupil_id``)."""
        return self.pupil and not self.master

    @property
    def unique_key(self) -> tuple[str, ...]:
        """The columns of the store's unique index: what makes two rows one record."""
        return (
            (("pupil_id",) if self.links_to_pupil else ())
            + self.natural_key
            + ((OCCURRENCE,) if self.repeats else ())
        )

    def key_may_be_blank(self, key: str) -> bool:
        """Whether a part of ``unique_key`` may be empty (compared as BLANK_KEY)."""
        return key not in ("pupil_id", OCCURRENCE) and not self.column(key).required

    @property
    def year_column(self) -> str | None:
        """The column that gives the school year directly, if any."""
        return "school_year" if "school_year" in self._by_key else None

    def column(self, key: str) -> ColumnSpec:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"{self.name} has no column {key!r}") from None

    def has_column(self, key: str) -> bool:
        return key in self._by_key


@dataclass(frozen=True)
class Registry:
    format_version: int
    kinds: tuple[DatasetKind, ...]
    retention_classes: tuple[RetentionClass, ...]

    def kind(self, name: str) -> DatasetKind:
        for k in self.kinds:
            if k.name == name:
                return k
        raise KeyError(f"unknown dataset kind {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.kinds)

    @property
    def master(self) -> DatasetKind:
        return next(k for k in self.kinds if k.master)

    def retention(self, key: str) -> RetentionClass:
        return next(r for r in self.retention_classes if r.key == key)

    def retention_of(self, kind_name: str) -> RetentionClass:
        """The retention class of a kind."""
        return self.retention(self.kind(kind_name).retention)


def _column(raw: dict[str, Any], where: str) -> ColumnSpec:
    key = str(raw["key"])
    if not _IDENTIFIER.match(key):
        raise RegistryError(f"{where}: column key {key!r} is not a safe identifier")
    ctype = str(raw["type"])
    if ctype not in COLUMN_TYPES:
        raise RegistryError(f"{where}.{key}: unknown type {ctype!r}")
    ref = raw.get("ref")
    if ref is not None and ref not in PERSON_REF_ROLES:
        raise RegistryError(f"{where}.{key}: unknown person-reference role {ref!r}")
    values = tuple(str(v) for v in raw.get("values", ()))
    if ctype == "enum" and not values:
        raise RegistryError(f"{where}.{key}: enum without values")
    value_synonyms = tuple((str(k), str(v)) for k, v in raw.get("value_synonyms", {}).items())
    strays = [v for _, v in value_synonyms if v not in values]
    if strays:
        raise RegistryError(f"{where}.{key}: value synonyms lead to unknown values {strays}")
    return ColumnSpec(
        key=key,
        label=str(raw["label"]),
        type=ctype,
        required=bool(raw.get("required", False)),
        synonyms=tuple(str(s) for s in raw.get("synonyms", ())),
        ref=None if ref is None else str(ref),
        stored=bool(raw.get("stored", True)),
        values=values,
        min=None if raw.get("min") is None else float(raw["min"]),
        max=None if raw.get("max") is None else float(raw["max"]),
        value_synonyms=value_synonyms,
    )


def _retention_class(key: str, raw: dict[str, Any]) -> RetentionClass:
    action = str(raw.get("action", KEEP))
    if action not in RETENTION_ACTIONS:
        raise RegistryError(f"retention.{key}: unknown action {action!r}")
    years = raw.get("years")
    if (years is None) != (action == KEEP):
        raise RegistryError(f"retention.{key}: years go with an end (delete or pseudonymise)")
    if years is not None and (not isinstance(years, int) or years < 1):
        raise RegistryError(f"retention.{key}: years must be a whole number of at least 1")
    return RetentionClass(
        key=key,
        label=str(raw["label"]),
        description=str(raw["description"]),
        basis=str(raw["basis"]),
        years=years,
        action=action,
    )


def parse_registry(data: dict[str, Any]) -> Registry:
    """Build and check a registry from the parsed TOML document."""
    retention = tuple(_retention_class(k, v) for k, v in data["retention"].items())
    retention_keys = {r.key for r in retention}
    shared_refs = [_column(c, "person_refs") for c in data.get("person_refs", ())]
    kinds = []
    for name, raw in data["kinds"].items():
        if not _IDENTIFIER.match(name):
            raise RegistryError(f"kind name {name!r} is not a safe identifier")
        own = [_column(c, name) for c in raw["columns"]]
        own_keys = {c.key for c in own}
        if len(own_keys) != len(own):
            raise RegistryError(f"{name}: duplicate column keys")
        columns = list(own)
        if raw.get("person_refs", False):
            # Shared person references only serve linkage: never stored on the row itself.
            columns += [
                ColumnSpec(**{**c.__dict__, "stored": False})
                for c in shared_refs
                if c.key not in own_keys
            ]
        kind = DatasetKind(
            name=name,
            label=str(raw["label"]),
            domain=str(raw["domain"]),
            retention=str(raw["retention"]),
            pupil=bool(raw["pupil"]),
            master=bool(raw.get("master", False)),
            columns=tuple(columns),
            natural_key=tuple(raw["natural_key"]),
            karte_section=str(raw["karte_section"]),
            topics=tuple(raw.get("topics", ())),
            event_date=raw.get("event_date"),
            repeats=bool(raw.get("repeats", False)),
            occasion=tuple(raw.get("occasion", ())),
        )
        if kind.retention not in retention_keys:
            raise RegistryError(f"{name}: unknown retention class {kind.retention!r}")
        action = next(r.action for r in retention if r.key == kind.retention)
        if kind.pupil != (action != KEEP):
            # A pupil's rows end some day; rows of no pupil have no leave date to count from.
            raise RegistryError(f"{name}: retention class {kind.retention!r} does not fit"
                                f" {'a pupil' if kind.pupil else 'a non-pupil'} kind")
        if kind.master and action != PSEUDONYMISE:
            # Every other kind's rows point at the master's; the leave dates come from it.
            raise RegistryError(f"{name}: the pupil master's retention must pseudonymise")
        stored = {c.key for c in kind.stored_columns}
        missing = [k for k in (*kind.natural_key, *kind.occasion) if k not in stored]
        if missing:
            raise RegistryError(f"{name}: natural key columns not stored: {missing}")
        if kind.repeats and OCCURRENCE in stored:
            raise RegistryError(f"{name}: column {OCCURRENCE!r} is kept for repeated rows")
        if kind.event_date is not None and kind.event_date not in stored:
            raise RegistryError(f"{name}: event_date {kind.event_date!r} is not a stored column")
        if kind.pupil and not kind.person_ref_columns:
            raise RegistryError(f"{name}: a pupil dataset needs at least one person reference")
        kinds.append(kind)
    if sum(k.master for k in kinds) != 1:
        raise RegistryError("exactly one kind must be the pupil master")
    return Registry(
        format_version=int(data["format_version"]),
        kinds=tuple(kinds),
        retention_classes=retention,
    )


@cache
def default_registry() -> Registry:
    with resource_path("datasets.toml").open("rb") as fh:
        return parse_registry(tomllib.load(fh))
