"""How years and dates are written for staff: 西暦 (2025年度) or 和暦 (令和7年度)."""

from __future__ import annotations

from enum import StrEnum


class DateStyle(StrEnum):
    """String-valued, so command-line choices and saved settings keep their words."""

    SEIREKI = "seireki"
    WAREKI = "wareki"


__all__ = ["DateStyle"]
