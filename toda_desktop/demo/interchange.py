"""Writing a demo city as interchange files (format v1) plus their ground truth.

Files go to ``out_dir`` (one per kind, or per kind and school year — see ``layouts``); the
ground truth goes to ``out_dir/ground_truth/``:

- ``files.csv``: file, kind, school_year, format, encoding, rows, date_format (main spelling);
- ``headers.csv``: file, position (1-based), header as written, registry column key;
- ``rows.csv``: file, row (1-based data row; the header is row 0), kind, source_index (row of
  ``city.frames[kind]``), address_code (the true pupil; empty for non-pupil kinds),
  id_pattern, date_format, flags (``;``-joined, see ``messy.FLAGS``) and linkable:
  ``id`` (the row has an ID), ``name`` (no ID, but name + birth date single out one pupil),
  ``ambiguous`` (no ID and another pupil shares name and birth date: homonyms),
  ``fuzzy`` (no ID and the name was damaged by the CP932 encoding, e.g. 𠮷 → ?),
  ``unknown_id`` (only 県学調番号 or only Googleアカウント, and no enrollment row written for
  the pupil carries it: no importer can link the row, it is reported as not found).

Clean output is UTF-8, ISO dates, canonical headers and 宛名番号 in every pupil row. Messy
output is deterministic for the seed (``city.config.seed`` unless given), and adds, in the
same folder, files in the shapes schools and vendors really send (months as columns,
per-term forms, instrument exports, totals rows, a two-sheet workbook, repeat visits …; see
``forms``, truth in ``forms.csv`` / ``forms_rows.csv``). The records a form carries are left
out of the interchange files, so that importing every file stores each record once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.specs import FLOAT_TYPES, INT_TYPES
from kernel.school_calendar import FIRST_MONTH
from storage.registry import DatasetKind, default_registry
from toda_desktop.demo import layouts
from toda_desktop.demo import messy as messiness
from toda_desktop.demo.dateformats import excel_serial
from toda_desktop.demo.forms import write_forms
from toda_desktop.demo.generator import Cancelled, DemoCity
from toda_desktop.demo.names import strict_key
from toda_desktop.demo.rng import stream
from toda_desktop.demo.xlsx import write_sheet

Table = dict[str, npt.NDArray[np.object_]]
_ENROLLMENT_REFS = (
    "school_code",
    "grade",
    "class_name",
    "seat_number",
    "pref_id",
    "google_account",
)
_STUDENT_REFS = ("name", "name_kana", "birth_date", "sex")


@dataclass(frozen=True)
class InterchangeOutput:
    files: list[Path]
    ground_truth_dir: Path
    forms: tuple[Path, ...] = ()  # messy only: real-world forms, beside the files


def _text(series: pd.Series, ctype: str) -> npt.NDArray[np.object_]:
    """Cell texts of a typed column; missing values become ''."""
    if ctype in FLOAT_TYPES:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.char.mod("%.1f", values).astype(object)
        out[np.isnan(values)] = ""
        return out
    result: npt.NDArray[np.object_] = np.array(
        series.astype("string").fillna("").to_numpy(dtype=object), dtype=object, copy=True
    )
    return result


def _school_year(frame: pd.DataFrame, kind: DatasetKind) -> npt.NDArray[np.int64]:
    if kind.has_column("school_year"):
        return frame["school_year"].to_numpy(dtype=np.int64)
    assert kind.event_date is not None
    d = frame[kind.event_date].astype(str)
    year = d.str.slice(0, 4).astype(int).to_numpy()
    month = d.str.slice(5, 7).astype(int).to_numpy()
    return (year - (month < FIRST_MONTH)).astype(np.int64)


class _Refs:
    """Person-reference lookups (enrollment per pupil and year, master data per pupil)."""

    def __init__(self, city: DemoCity) -> None:
        enr = city.frames["enrollments"]
        stu = city.frames["students"]
        reg = default_registry()
        ek, sk = reg.kind("enrollments"), reg.kind("students")
        self.enrollment = pd.DataFrame(
            {
                "address_code": enr["address_code"].astype(str).to_numpy(),
                "school_year": enr["school_year"].to_numpy(dtype=np.int64),
                **{k: _text(enr[k], ek.column(k).type) for k in _ENROLLMENT_REFS},
            }
        )
        self.student = pd.DataFrame(
            {
                "address_code": stu["address_code"].astype(str).to_numpy(),
                **{k: _text(stu[k], sk.column(k).type) for k in _STUDENT_REFS},
            }
        )
        keys = (
            pd.Series([strict_key(n) for n in self.student["name"]], dtype=object)
            + "|"
            + self.student["birth_date"]
        )
        shared = keys.duplicated(keep=False).to_numpy()
        self.ambiguous = frozenset(self.student["address_code"][shared].tolist())

    def lookup(self, address: npt.NDArray[np.object_], year: npt.NDArray[np.int64]) -> pd.DataFrame:
        left = pd.DataFrame({"address_code": address, "school_year": year})
        out = left.merge(self.enrollment, on=["address_code", "school_year"], how="left")
        out = out.merge(self.student, on="address_code", how="left")
        assert len(out) == len(left)
        return out.fillna("")


@dataclass
class _Truth:
    rows: list[pd.DataFrame]
    files: list[dict[str, object]]
    headers: list[dict[str, object]]


def _splits(
    city: DemoCity, kind: DatasetKind
) -> list[tuple[str, int | None, npt.NDArray[np.int64]]]:
    frame = city.frames[kind.name]
    if kind.name not in layouts.PER_YEAR:
        return [(kind.name, None, np.arange(len(frame), dtype=np.int64))]
    years = _school_year(frame, kind)
    return [
        (f"{kind.name}_{y}", y, np.flatnonzero(years == y).astype(np.int64))
        for y in city.config.years
    ]


def _base_table(
    city: DemoCity, kind: DatasetKind, rows: npt.NDArray[np.int64], columns: list[str], refs: _Refs
) -> Table:
    frame = city.frames[kind.name].iloc[rows]
    table: Table = {}
    needs_refs = [c for c in columns if c not in frame.columns]
    looked: pd.DataFrame | None = None
    if needs_refs:
        looked = refs.lookup(
            frame["address_code"].astype(str).to_numpy(dtype=object), _school_year(frame, kind)
        )
    for col in columns:
        if col in frame.columns:
            table[col] = _text(frame[col], kind.column(col).type)
        else:
            assert looked is not None
            table[col] = looked[col].to_numpy(dtype=object)
    return table


def _date_columns(kind: DatasetKind, columns: list[str]) -> list[str]:
    return [c for c in columns if kind.column(c).type == "date"]


def _digit_columns(kind: DatasetKind, columns: list[str]) -> list[str]:
    return [c for c in columns if kind.column(c).type in messiness.DIGIT_TYPES]


def _mess_up(
    kind: DatasetKind,
    table: Table,
    rows: messiness.Rows,
    rng: np.random.Generator,
    main_date: str,
    excel: bool,
) -> tuple[Table, messiness.Rows]:
    columns = list(table)
    if kind.name == "enrollments" or kind.name in layouts.REFS:
        messiness.apply_id_patterns(table, rows, rng, enrollment_file=kind.name == "enrollments")
    if kind.name not in ("students",) and kind.pupil:
        messiness.apply_name_variants(table, rows, rng)
    digit_cols = [c for c in _digit_columns(kind, columns) if c not in _date_columns(kind, columns)]
    if not excel:
        messiness.apply_dates(table, rows, rng, _date_columns(kind, columns), main_date)
        rate = messiness.rate("fullwidth_digits")
        messiness.apply_fullwidth(table, rows, rng, digit_cols, rate)
    if kind.pupil and kind.name != "students":
        table, rows = messiness.add_duplicates(table, rows, rng, [] if excel else digit_cols)
    return table, rows


def _cp932_lossy(table: Table) -> npt.NDArray[np.bool_]:
    n = len(next(iter(table.values())))
    lossy = np.zeros(n, dtype=bool)
    for values in table.values():
        uniq = pd.unique(values)
        bad = set()
        for v in uniq:
            try:
                str(v).encode("cp932")
            except UnicodeEncodeError:
                bad.add(v)
        if bad:
            lossy |= np.isin(values, list(bad))
    return lossy


def _linkable(
    rows: messiness.Rows, address: npt.NDArray[np.object_], refs: _Refs,
    ledger: dict[str, set[str]],
) -> npt.NDArray[np.object_]:
    """How a row can be linked: by an ID, by name and birth date, only ambiguously, or not at
    all (its only ID is missing from every enrollment row written: ``ledger``)."""
    out = np.full(len(address), "id", dtype=object)
    for pattern, key in (("pref_only", "pref_id"), ("google_only", "google_account")):
        lost = (rows.id_pattern == pattern) & ~np.isin(address, list(ledger[key]))
        out[lost] = "unknown_id"
    no_id = rows.id_pattern == "no_id"
    amb = np.isin(address, list(refs.ambiguous))
    out[no_id] = np.where(amb[no_id], "ambiguous", "name")
    fuzzy = no_id & rows.flags["lossy_encoding"] & ~amb
    out[fuzzy] = "fuzzy"
    return out


def _write_csv(path: Path, headers: list[str], table: Table, encoding: str) -> None:
    frame = pd.DataFrame({i: v for i, v in enumerate(table.values())})
    frame.columns = pd.Index(headers)
    newline = "\n" if encoding == "utf-8" else "\r\n"
    frame.to_csv(path, index=False, encoding=encoding, errors="replace", lineterminator=newline)


def _write_xlsx(
    path: Path, headers: list[str], kind: DatasetKind, table: Table, rows: messiness.Rows
) -> None:
    cols: list[list[object]] = []
    for key, values in table.items():
        ctype = kind.column(key).type
        if key == "birth_date":
            cols.append(list(excel_serial(values)))  # a General-formatted serial column
        elif ctype == "date":
            cols.append([date.fromisoformat(v) if v else None for v in values])
        elif key == "address_code":
            numeric = np.asarray([v.isdigit() for v in values], dtype=bool)
            rows.flags["address_code_numeric"] |= numeric & np.char.startswith(
                values.astype(str), "0"
            )
            cols.append(
                [int(v) if ok else (v or None) for v, ok in zip(values, numeric, strict=True)]
            )
        elif ctype in INT_TYPES:
            cols.append([int(v) if v.isdigit() else (v or None) for v in values])
        else:
            cols.append([v or None for v in values])
    rows.date_format[:] = "excel"
    write_sheet(path, headers, cols, kind.label)


def write_interchange_files(
    city: DemoCity,
    out_dir: Path,
    messy: bool,
    seed: int | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> InterchangeOutput:
    """Write every kind of ``city`` as interchange files and the ground truth beside them."""
    use_messy = messy
    seed = city.config.seed if seed is None else seed
    out_dir = Path(out_dir)
    truth_dir = out_dir / "ground_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    reg = default_registry()
    refs = _Refs(city)
    plan = [(kind, split) for kind in reg.kinds for split in _splits(city, kind)]
    truth = _Truth([], [], [])
    written: list[Path] = []
    alt_rng = stream(seed, "messy:encodings")
    alt_year = {k: int(alt_rng.choice(city.config.years)) for k in sorted(layouts.PER_YEAR)}
    forms = write_forms(city, out_dir, seed) if use_messy else None
    # Pupils whose 県学調番号 / Googleアカウント some written enrollment row carries.
    ledger: dict[str, set[str]] = {"pref_id": set(), "google_account": set()}
    for step, (kind, (stem, year, idx)) in enumerate(plan):
        if cancel is not None and cancel():
            raise Cancelled()
        columns = layouts.file_columns(kind, use_messy)
        table = _base_table(city, kind, idx, columns, refs)
        if use_messy:
            usual, other = layouts.MESSY_ENCODING[kind.name]
            encoding = other if year is not None and year == alt_year.get(kind.name) else usual
            main_date = layouts.MESSY_DATE_FORMAT.get(kind.name, "iso")
        else:
            encoding, main_date = "utf-8", "iso"
        excel = encoding == "xlsx"
        rows = messiness.Rows.plain(idx, main_date)
        rng = stream(seed, f"messy:{stem}")
        if use_messy:
            table, rows = _mess_up(kind, table, rows, rng, main_date, excel)
            headers = messiness.choose_headers([kind.column(c) for c in columns], rng)
            if forms is not None:
                # Left out after the mess is drawn, so the rest of the file is as without forms.
                keep = np.flatnonzero(~np.isin(rows.source, forms.covers(kind.name)))
                table = {k: v[keep] for k, v in table.items()}
                rows = rows.take(keep)
        else:
            headers = [kind.column(c).label for c in columns]
        if encoding == "cp932":
            rows.flags["lossy_encoding"] |= _cp932_lossy(table)
        path = out_dir / f"{stem}.{'xlsx' if excel else 'csv'}"
        if excel:
            _write_xlsx(path, headers, kind, table, rows)
        else:
            _write_csv(path, headers, table, encoding)
        written.append(path)
        address = (
            city.frames[kind.name]["address_code"].to_numpy(dtype=object)[rows.source]
            if kind.pupil
            else np.full(len(rows.source), "", dtype=object)
        )
        if kind.name == "enrollments":
            for key in ledger:
                ledger[key].update(address[table[key] != ""].tolist())
        truth.rows.append(
            pd.DataFrame(
                {
                    "file": path.name,
                    "row": np.arange(1, len(rows.source) + 1),
                    "kind": kind.name,
                    "source_index": rows.source,
                    "address_code": address,
                    "id_pattern": rows.id_pattern,
                    "date_format": rows.date_format,
                    "flags": rows.flag_text(),
                    "linkable": _linkable(rows, address, refs, ledger)
                    if kind.pupil
                    else np.full(len(rows.source), "", dtype=object),
                }
            )
        )
        truth.files.append(
            {
                "file": path.name,
                "kind": kind.name,
                "school_year": "" if year is None else year,
                "format": "xlsx" if excel else "csv",
                "encoding": encoding,
                "rows": len(rows.source),
                "date_format": "excel" if excel else main_date,
            }
        )
        truth.headers += [
            {"file": path.name, "position": i + 1, "header": h, "key": k}
            for i, (h, k) in enumerate(zip(headers, columns, strict=True))
        ]
        if progress is not None:
            progress((step + 1) / (len(plan) + 1))
    pd.DataFrame(truth.files).to_csv(truth_dir / "files.csv", index=False, lineterminator="\n")
    pd.DataFrame(truth.headers).to_csv(truth_dir / "headers.csv", index=False, lineterminator="\n")
    pd.concat(truth.rows, ignore_index=True).to_csv(
        truth_dir / "rows.csv", index=False, lineterminator="\n"
    )
    if progress is not None:
        progress(1.0)
    return InterchangeOutput(
        files=written, ground_truth_dir=truth_dir,
        forms=() if forms is None else tuple(forms.files),
    )
