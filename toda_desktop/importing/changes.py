"""A record an overwrite would change, in words the importing person recognises.

The store's own ids (児童生徒ID) mean nothing to staff, and a school year is read in the
user's DateStyle: 「山田　太郎（宛名番号 0000100001）・令和7年度・5月」. The pupil is named
only for a role that sees the master (氏名・宛名番号); otherwise the record is its key alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from kernel.date_style import DateStyle
from toda_desktop.formatting import class_label, class_text, format_date, format_school_year

# (column key, column label, column type, value) of one part of a record's natural key.
KeyPart = tuple[str, str, str, Any]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and value != value)


def key_part_text(key: str, label: str, column_type: str, value: Any, style: DateStyle) -> str:
    """One part of a record's key: 令和7年度 / 5月 / 3年 / 1組 / 4番 / 令和7年5月12日."""
    if _missing(value) or value == "":
        return ""
    if column_type == "school_year":
        return format_school_year(int(value), style)
    if column_type == "month":
        return f"{int(value)}月"
    if column_type == "grade":
        return class_label(int(value), "")  # a junior-high grade counts from 1 again
    if key == "school_code" and label != "学校コード":
        return label  # the school's name, when the caller knew it
    if key == "class_name":
        return class_text(str(value))
    if key == "seat_number":
        return f"{int(value)}番"
    if column_type == "date":
        day = value.date() if isinstance(value, datetime | pd.Timestamp) else value
        if isinstance(day, str):
            day = date.fromisoformat(day[:10])
        return format_date(day, style)
    return f"{label} {value}"


def record_text(who: str, key: Sequence[KeyPart], style: DateStyle = DateStyle.SEIREKI) -> str:
    """「山田　太郎（宛名番号 0000100001）・令和7年度・5月」 (``who`` empty: the key alone)."""
    parts = [who] if who else []
    parts += [t for t in (key_part_text(k, label, kind, value, style)
                          for k, label, kind, value in key) if t]
    return "・".join(parts)


def pupil_text(name: str | None, address_code: str | None) -> str:
    """How a pupil is named in the list: 氏名（宛名番号 …）, or whichever of them is known."""
    name, code = (name or "").strip(), (address_code or "").strip()
    if name and code:
        return f"{name}（宛名番号 {code}）"
    return name or (f"宛名番号 {code}" if code else "")


__all__ = ["KeyPart", "key_part_text", "pupil_text", "record_text"]
