"""The retention classes: the periods the law and the city set, and a registry that refuses
classes that cannot be enforced."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from resources import resource_path
from storage.registry import (
    DELETE,
    KEEP,
    PSEUDONYMISE,
    RegistryError,
    default_registry,
    parse_registry,
)


def _data() -> dict[str, Any]:
    with resource_path("datasets.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_the_legal_periods_are_those_of_the_enforcement_rules() -> None:
    registry = default_registry()
    gakuseki = registry.retention_of("enrollments")
    assert (gakuseki.years, gakuseki.action) == (20, PSEUDONYMISE)
    assert "第28条" in gakuseki.basis
    assert registry.retention_of("students") == gakuseki
    for kind in ("academic_results", "attendance_monthly", "attendance_term",
                 "health_checkups", "health_room_visits"):
        cls = registry.retention_of(kind)
        assert (cls.years, cls.action) == (5, DELETE), kind
        assert cls.basis
    for kind in ("consultations", "bullying_records"):
        assert registry.retention_of(kind).basis.startswith("市の定め")
    assert any(r.key == "support" and r.basis.startswith("市の定め")
               for r in registry.retention_classes)


def test_every_pupil_kind_ends_and_no_other_kind_does() -> None:
    registry = default_registry()
    for kind in registry.kinds:
        cls = registry.retention_of(kind.name)
        assert cls.ends == kind.pupil, kind.name
        assert (cls.years is None) == (cls.action == KEEP)


def test_pseudonymisation_removes_names_birth_dates_and_ids_only() -> None:
    registry = default_registry()
    assert {c.key for c in registry.kind("students").identifying_columns} == {
        "address_code", "name", "name_kana", "birth_date"}
    assert {c.key for c in registry.kind("enrollments").identifying_columns} == {
        "pref_id", "google_account"}


@pytest.mark.parametrize("change", [
    {"action": "shred"},
    {"years": None},
    {"years": 0},
    {"action": "keep"},
])
def test_a_class_that_cannot_be_enforced_is_refused(change: dict[str, Any]) -> None:
    data = _data()
    cls = data["retention"]["shido"]
    for key, value in change.items():
        if value is None:
            cls.pop(key)
        else:
            cls[key] = value
    with pytest.raises(RegistryError):
        parse_registry(data)


def test_the_pupil_master_cannot_be_deleted_outright() -> None:
    data = _data()
    data["kinds"]["students"]["retention"] = "shido"
    with pytest.raises(RegistryError, match="pseudonymise"):
        parse_registry(data)
