"""Messiness as schools and departments really produce it, applied to one file's table.

A table is a dict of registry column key → object array of cell texts ("" = empty). Every
change is recorded per row (flags, id pattern, date format) so that the ground truth can tell
an importer test what was done and whether the row is still linkable:

- id patterns: ``full``, ``no_address`` (宛名番号 left out), ``no_id`` (no 宛名番号, no
  enrollment key, no 県学調番号, no Googleアカウント — only name, kana, birth date, sex),
  ``key_only`` (only the enrollment key), ``pref_only`` (only 県学調番号), ``google_only``;
- name variants: variant kanji swapped (髙/高, 﨑/崎, 邉/辺, 齋/斎 …), the space removed,
  doubled or half-width; kana in hiragana or half-width, without or with a full-width space;
- dates in one main spelling per file and other spellings in some rows (``dateformats``);
- full-width digits in some rows; exact duplicates (next to the original) and near duplicates
  (changed copies at the end of the file, as from a re-sent batch);
- header variants from the registry synonyms and width / space / bracket variants.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jaconv
import numpy as np
import numpy.typing as npt
import pandas as pd

from storage.registry import ColumnSpec
from toda_desktop.demo import params
from toda_desktop.demo.dateformats import FORMATS, format_dates
from toda_desktop.demo.names import KANJI_VARIANTS

Table = dict[str, npt.NDArray[np.object_]]
ENROLLMENT_KEY = ("school_code", "grade", "class_name", "seat_number")
IDS = ("address_code", *ENROLLMENT_KEY, "pref_id", "google_account")
NAME_REFS = ("name", "name_kana", "birth_date", "sex")
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
DIGIT_TYPES = frozenset({"code", "digits", "int", "school_year", "month", "grade", "bool", "date"})
FLAGS = (
    "name_kanji_variant",
    "name_space",
    "kana_hiragana",
    "kana_halfwidth",
    "kana_space",
    "fullwidth_digits",
    "date_mixed",
    "duplicate_exact",
    "duplicate_near",
    "lossy_encoding",
    "address_code_numeric",
)


@dataclass
class Rows:
    """Per-row record of what was done; aligned with the table's rows."""

    source: npt.NDArray[np.int64]
    id_pattern: npt.NDArray[np.object_]
    date_format: npt.NDArray[np.object_]
    flags: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)

    @classmethod
    def plain(cls, source: npt.NDArray[np.int64], date_format: str) -> Rows:
        n = len(source)
        return cls(
            source=source,
            id_pattern=np.full(n, "full", dtype=object),
            date_format=np.full(n, date_format, dtype=object),
            flags={f: np.zeros(n, dtype=bool) for f in FLAGS},
        )

    def take(self, idx: npt.NDArray[np.int64]) -> Rows:
        return Rows(
            self.source[idx],
            self.id_pattern[idx].copy(),
            self.date_format[idx].copy(),
            {k: v[idx].copy() for k, v in self.flags.items()},
        )

    def flag_text(self) -> npt.NDArray[np.object_]:
        out = np.full(len(self.source), "", dtype=object)
        for name in FLAGS:
            mask = self.flags[name]
            out[mask] = out[mask] + np.where(out[mask] == "", name, ";" + name)
        return out


def rate(key: str) -> float:
    return float(params.calibration()["messy"][key])


def _apply(values: npt.NDArray[np.object_], mask: Any, fn: Callable[[str], str]) -> None:
    idx = np.flatnonzero(mask)
    values[idx] = np.asarray([fn(str(v)) for v in values[idx]], dtype=object)


def _swap_variant(name: str) -> str:
    for i, ch in enumerate(name):
        if ch in KANJI_VARIANTS:
            return name[:i] + KANJI_VARIANTS[ch] + name[i + 1 :]
    return name


def has_variant_char(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    """Whether each cell contains a character that has a variant form (per distinct value)."""
    chars = set(KANJI_VARIANTS)
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    found = np.asarray([not chars.isdisjoint(str(u)) for u in uniques], dtype=bool)
    return np.where(codes >= 0, found[np.maximum(codes, 0)], False)


def apply_id_patterns(
    table: Table, rows: Rows, rng: np.random.Generator, enrollment_file: bool
) -> None:
    """Leave out person references row by row; never leaves a row without any reference."""
    n = len(rows.source)
    u = rng.random(n)
    cuts = np.cumsum(
        [
            rate("no_id"),
            rate("key_only"),
            rate("pref_only"),
            rate("google_only"),
            rate("no_address"),
        ]
    )
    pattern = np.select(
        [u < cuts[0], u < cuts[1], u < cuts[2], u < cuts[3], u < cuts[4]],
        ["no_id", "key_only", "pref_only", "google_only", "no_address"],
        "full",
    ).astype(object)
    has = {k: (table[k] != "") if k in table else np.zeros(n, dtype=bool) for k in IDS}
    has_key = np.logical_and.reduce([has[k] for k in ENROLLMENT_KEY])
    has_names = ("name" in table) and ("birth_date" in table)
    if enrollment_file:
        # The enrollment key is the content of an enrollment row, not a reference to drop.
        pattern[np.isin(pattern, ["key_only", "pref_only", "google_only"])] = "full"
    pattern[(pattern == "no_id") & (not has_names)] = "no_address"
    pattern[(pattern == "key_only") & ~has_key] = "full"
    pattern[(pattern == "pref_only") & ~has["pref_id"]] = "full"
    pattern[(pattern == "google_only") & ~has["google_account"]] = "full"
    pattern[(pattern == "no_address") & ~has["address_code"]] = "full"
    drop: dict[str, tuple[str, ...]] = {
        "no_address": ("address_code",),
        "no_id": ("address_code", "pref_id", "google_account")
        + (() if enrollment_file else ENROLLMENT_KEY),
        "key_only": ("address_code", "pref_id", "google_account", *NAME_REFS),
        "pref_only": ("address_code", *ENROLLMENT_KEY, "google_account", *NAME_REFS),
        "google_only": ("address_code", *ENROLLMENT_KEY, "pref_id", *NAME_REFS),
    }
    for name, cols in drop.items():
        mask = pattern == name
        for col in cols:
            if col in table:
                table[col][mask] = ""
    rows.id_pattern = pattern


def apply_name_variants(table: Table, rows: Rows, rng: np.random.Generator) -> None:
    """Variant kanji, spaces and kana spellings in some rows that carry a name."""
    n = len(rows.source)
    if "name" in table:
        name = table["name"]
        pick = (rng.random(n) < rate("name_variant")) & (name != "")
        kanji = pick & has_variant_char(name) & (rng.random(n) < 0.6)
        _apply(name, kanji, _swap_variant)
        rows.flags["name_kanji_variant"] |= kanji
        space = pick & ~kanji
        op = rng.integers(0, 3, n)
        _apply(name, space & (op == 0), lambda s: s.replace("\u3000", ""))
        _apply(name, space & (op == 1), lambda s: s.replace("\u3000", "\u3000\u3000"))
        _apply(name, space & (op == 2), lambda s: s.replace("\u3000", " "))
        rows.flags["name_space"] |= space
    if "name_kana" in table:
        kana = table["name_kana"]
        pick = (rng.random(n) < rate("kana_variant")) & (kana != "")
        op = rng.integers(0, 4, n)
        _apply(kana, pick & (op == 0), jaconv.kata2hira)
        _apply(kana, pick & (op == 1), lambda s: jaconv.z2h(s, kana=True, ascii=False, digit=False))
        _apply(kana, pick & (op == 2), lambda s: s.replace(" ", ""))
        _apply(kana, pick & (op == 3), lambda s: s.replace(" ", "\u3000"))
        rows.flags["kana_hiragana"] |= pick & (op == 0)
        rows.flags["kana_halfwidth"] |= pick & (op == 1)
        rows.flags["kana_space"] |= pick & (op >= 2)


def apply_dates(
    table: Table, rows: Rows, rng: np.random.Generator, date_columns: list[str], main: str
) -> None:
    """The file's main date spelling, and other spellings in a share of rows."""
    n = len(rows.source)
    fmt = np.full(n, main, dtype=object)
    mixed = rng.random(n) < rate("date_mixed")
    others = np.asarray([f for f in FORMATS if f != main], dtype=object)
    fmt[mixed] = others[rng.integers(0, len(others), int(mixed.sum()))]
    for col in date_columns:
        table[col] = format_dates(table[col], fmt)
    rows.date_format = fmt
    rows.flags["date_mixed"] |= mixed


def apply_fullwidth(
    table: Table, rows: Rows, rng: np.random.Generator, columns: list[str], share: float
) -> None:
    mask = rng.random(len(rows.source)) < share
    for col in columns:
        _apply(table[col], mask & (table[col] != ""), lambda s: s.translate(FULLWIDTH_DIGITS))
    rows.flags["fullwidth_digits"] |= mask


def add_duplicates(
    table: Table, rows: Rows, rng: np.random.Generator, digit_columns: list[str]
) -> tuple[Table, Rows]:
    """Exact copies right after their original; changed copies appended at the end."""
    n = len(rows.source)
    exact = rng.random(n) < rate("duplicate_exact")
    order = np.repeat(np.arange(n), 1 + exact)
    is_copy = np.zeros(len(order), dtype=bool)
    is_copy[np.flatnonzero(np.diff(order) == 0) + 1] = True
    near = np.flatnonzero(rng.random(n) < rate("duplicate_near"))
    order = np.concatenate([order, near])
    out = {k: v[order].copy() for k, v in table.items()}
    out_rows = rows.take(order)
    out_rows.flags["duplicate_exact"] |= np.r_[is_copy, np.zeros(len(near), dtype=bool)]
    tail = np.arange(len(order) - len(near), len(order))
    out_rows.flags["duplicate_near"][tail] = True
    if len(near):
        if "name" in out and (out["name"][tail] != "").all():
            col = out["name"]
            col[tail] = np.asarray([s.replace("\u3000", "") for s in col[tail]], dtype=object)
            out_rows.flags["name_space"][tail] = True
        elif digit_columns:
            for c in digit_columns:
                col = out[c]
                col[tail] = np.asarray(
                    [str(s).translate(FULLWIDTH_DIGITS) for s in col[tail]], dtype=object
                )
            out_rows.flags["fullwidth_digits"][tail] = True
    return out, out_rows


def _width_variant(label: str, rng: np.random.Generator) -> str:
    options = []
    if any(c.isascii() and c.isalnum() for c in label):
        options.append(jaconv.h2z(label, kana=False, ascii=True, digit=True))
    if "（" in label:
        options.append(label.replace("（", "(").replace("）", ")"))
    if "(" in label:
        options.append(label.replace("(", "（").replace(")", "）"))
    if len(label) >= 2:
        mid = len(label) // 2
        options.append(label[:mid] + rng.choice([" ", "\u3000"]) + label[mid:])
    options.append(label + " ")
    return str(options[int(rng.integers(0, len(options)))])


def header_key(header: str) -> str:
    """How an importer would compare headers: NFKC, no spaces (for the uniqueness check)."""
    return "".join(unicodedata.normalize("NFKC", header).split())


def choose_headers(specs: list[ColumnSpec], rng: np.random.Generator) -> list[str]:
    """One header per column: the label, a synonym or a spelling variant; unique per file."""
    out: list[str] = []
    labels = {header_key(s.label) for s in specs}
    seen: set[str] = set()
    p_syn, p_var = rate("header_synonym"), rate("header_variant")
    for spec in specs:
        u = rng.random()
        if u < p_syn and spec.synonyms:
            header = str(spec.synonyms[int(rng.integers(0, len(spec.synonyms)))])
        elif u < p_syn + p_var:
            header = _width_variant(spec.label, rng)
        else:
            header = spec.label
        key = header_key(header)
        if key in seen or (key in labels and key != header_key(spec.label)):
            header = spec.label
        seen.add(header_key(header))
        out.append(header)
    return out
