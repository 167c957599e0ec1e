"""What the register needs beyond the registry and the permission map (resources/register.toml):
the office, and per personal-information file its name, purpose, subjects, source, sensitive
content and regular recipients. Checked against the registry, so that a new group of data is
never left out of the register unnoticed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from resources import resource_path


class RegisterSettingsError(ValueError):
    """register.toml does not say what a file of the register needs (a developer's error)."""


@dataclass(frozen=True)
class Office:
    organization: str  # 行政機関等の名称
    department: str  # 担当する組織
    disclosure_desk: str  # 開示請求等を受け付ける組織の名称・所在地
    file_type: str  # 電算処理ファイル / マニュアル処理ファイル


@dataclass(frozen=True)
class FileSettings:
    group: str  # the key group whose kinds make this file (storage/key_groups.py)
    name: str
    purpose: str
    subjects: str
    source: str
    sensitive: str  # "" when none
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class RegisterSettings:
    office: Office
    files: tuple[FileSettings, ...]

    def file(self, group: str) -> FileSettings | None:
        return next((f for f in self.files if f.group == group), None)


def _text(raw: dict[str, Any], key: str, where: str, *, blank: bool = False) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or (not blank and not value.strip()):
        raise RegisterSettingsError(f"{where}: {key} must be a{'' if blank else ' non-empty'}"
                                    " string")
    return value.strip()


def parse_settings(data: dict[str, Any]) -> RegisterSettings:
    office_raw = data.get("office")
    if not isinstance(office_raw, dict):
        raise RegisterSettingsError("[office] is missing")
    office = Office(**{k: _text(office_raw, k, "office") for k in
                       ("organization", "department", "disclosure_desk", "file_type")})
    files = []
    for group, raw in dict(data.get("files", {})).items():
        where = f"files.{group}"
        recipients = raw.get("recipients", [])
        if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
            raise RegisterSettingsError(f"{where}: recipients must be a list of strings")
        files.append(FileSettings(
            group=str(group), name=_text(raw, "name", where),
            purpose=_text(raw, "purpose", where), subjects=_text(raw, "subjects", where),
            source=_text(raw, "source", where),
            sensitive=_text(raw, "sensitive", where, blank=True),
            recipients=tuple(r.strip() for r in recipients if r.strip()),
        ))
    return RegisterSettings(office, tuple(files))


@cache
def default_settings() -> RegisterSettings:
    with resource_path("register.toml").open("rb") as fh:
        return parse_settings(tomllib.load(fh))
