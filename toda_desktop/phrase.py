"""Text a service hands over with its school years, months and dates kept as values.

A condition's description (「出欠状況（月次） 2025年度 6月: 欠席日数が5以上」), a karte chart's
axis label or an audit target is built by the service but written by the window or the
command line in the user's date style (和暦/西暦). So the service returns a :data:`Phrase` —
plain text pieces and typed values side by side — and ``toda_desktop.formatting.
format_phrase`` writes it; no page reads a year back out of a sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from kernel.school_calendar import SchoolMonth


@dataclass(frozen=True, order=True)
class SchoolYear:
    """A school year (April start) inside a phrase: 「2025年度」 or 「令和7年度」."""

    year: int


Part = str | SchoolYear | SchoolMonth | date  # a datetime is written with its time
Phrase = tuple[Part, ...]


def phrase(*parts: Part | Phrase) -> Phrase:
    """Join parts and phrases into one phrase (neighbouring text pieces joined, empty ones
    dropped, so equal phrases compare equal however they were built)."""
    out: list[Part] = []
    for part in parts:
        for piece in part if isinstance(part, tuple) else (part,):
            if piece == "":
                continue
            if isinstance(piece, str) and out and isinstance(out[-1], str):
                out[-1] += piece
            else:
                out.append(piece)
    return tuple(out)


def join(phrases: list[Phrase] | tuple[Phrase, ...], separator: str) -> Phrase:
    """The phrases one after another with ``separator`` text between them."""
    out: list[Part | Phrase] = []
    for number, item in enumerate(phrases):
        if number:
            out.append(separator)
        out.append(item)
    return phrase(*out)


def without_year(label: Phrase) -> Phrase:
    """The phrase less a leading school year (「2025年度 6月」 → 「6月」), for an axis that
    writes the year once above its months."""
    if label and isinstance(label[0], SchoolYear):
        rest = list(label[1:])
        if rest and isinstance(rest[0], str):
            rest[0] = rest[0].lstrip()
        return phrase(*rest)
    return label


def leading_year(label: Phrase) -> SchoolYear | None:
    return label[0] if label and isinstance(label[0], SchoolYear) else None


def to_json(text: Phrase) -> str:
    """A phrase as text that keeps its values (for a finding kept in the store)."""
    def part(p: Part) -> object:
        if isinstance(p, SchoolYear):
            return {"school_year": p.year}
        if isinstance(p, SchoolMonth):
            return {"month": str(p)}
        if isinstance(p, datetime):
            return {"at": p.isoformat()}
        if isinstance(p, date):
            return {"day": p.isoformat()}
        return p
    return json.dumps({"phrase": [part(p) for p in text]}, ensure_ascii=False)


def from_json(text: str) -> Phrase:
    """Back from :func:`to_json`; any other text (a finding kept by an older version) is
    one plain piece."""
    try:
        data = json.loads(text)
        items = data["phrase"]
        out: list[Part] = []
        for item in items:
            if isinstance(item, str):
                out.append(item)
            elif "school_year" in item:
                out.append(SchoolYear(int(item["school_year"])))
            elif "month" in item:
                out.append(SchoolMonth.parse(item["month"]))
            elif "at" in item:
                out.append(datetime.fromisoformat(item["at"]))
            else:
                out.append(date.fromisoformat(item["day"]))
        return tuple(out)
    except (ValueError, KeyError, TypeError):
        return (text,) if text else ()
