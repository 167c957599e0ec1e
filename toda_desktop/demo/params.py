"""Loading of the demo-city data files in ``resources/demo/`` (read once, then cached).

The files are the calibration of the generator: rates, tables and phrase lists. Keeping them
as data means a statistician can retune the city without reading the generator code.
"""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from typing import Any

from resources import resource_path

Table = dict[str, Any]


def _toml(name: str) -> Table:
    with resource_path("demo", name).open("rb") as fh:
        return tomllib.load(fh)


@cache
def calibration() -> Table:
    """Rates and tables of pupil behaviour (``calibration.toml``)."""
    return _toml("calibration.toml")


@cache
def city() -> Table:
    """Schools of the fictitious city (``city.toml``)."""
    return _toml("city.toml")


@cache
def phrases() -> Table:
    """Generic free-text phrases without personal data (``phrases.toml``)."""
    return _toml("phrases.toml")


@cache
def surveys() -> Table:
    """Survey instruments and their item master (``surveys.toml``)."""
    return _toml("surveys.toml")


@cache
def name_rows(file_name: str) -> tuple[dict[str, str], ...]:
    """Rows of a UTF-8 name list (``surnames.csv``, ``given_names.csv`` …)."""
    with resource_path("demo", file_name).open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def floats(values: Any) -> list[float]:
    """A TOML array as floats (TOML keeps 1 and 1.0 apart; the generator does not care)."""
    return [float(v) for v in values]
