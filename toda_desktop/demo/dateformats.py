"""Date spellings that real files use: Western, compact, and 和暦 in kanji or letter form.

Formatting is done once per distinct date and mapped back, so millions of cells cost little.
令和元年 is written as 元年 in kanji form (as documents do) and as 1 in letter forms.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

FORMATS: tuple[str, ...] = (
    "iso",  # 2022-04-01
    "slash",  # 2022/4/1
    "compact",  # 20220401
    "wareki_kanji",  # 令和4年4月1日
    "wareki_letter",  # R4.4.1
    "wareki_padded",  # R04/04/01
)
# Eras newest first: (start date, kanji, letter).
ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
)


def _era(d: date) -> tuple[str, str, int]:
    for start, kanji, letter in ERAS:
        if d >= start:
            return kanji, letter, d.year - start.year + 1
    raise ValueError(f"no era for {d}")


def format_date(iso: str, fmt: str) -> str:
    """One ISO date in the given spelling (empty stays empty)."""
    if not iso:
        return iso
    d = date.fromisoformat(iso)
    if fmt == "iso":
        return iso
    if fmt == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if fmt == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    kanji, letter, y = _era(d)
    if fmt == "wareki_kanji":
        return f"{kanji}{'元' if y == 1 else y}年{d.month}月{d.day}日"
    if fmt == "wareki_letter":
        return f"{letter}{y}.{d.month}.{d.day}"
    if fmt == "wareki_padded":
        return f"{letter}{y:02d}/{d.month:02d}/{d.day:02d}"
    raise ValueError(f"unknown date format {fmt!r}")


def format_dates(iso: Any, fmt: Any) -> Any:
    """ISO date strings (object array) in per-cell formats (a name or an array of names)."""
    values = np.asarray(iso, dtype=object)
    fmts = np.broadcast_to(np.asarray(fmt, dtype=object), values.shape)
    codes, uniques = pd.factorize(pd.Series(values, dtype=object) + "|" + pd.Series(fmts))
    formatted = np.asarray([format_date(*u.split("|")) for u in uniques.tolist()], dtype=object)
    return formatted[codes]


def excel_serial(iso: Any) -> Any:
    """Excel's serial day numbers (1900 date system) of ISO date strings; '' stays None."""
    values = np.asarray(iso, dtype=object)
    out = np.empty(len(values), dtype=object)
    filled = values != ""
    days = np.asarray(values[filled].astype(str), dtype="datetime64[D]").astype(np.int64)
    out[filled] = (days + 25569).tolist()
    out[~filled] = None
    return out
