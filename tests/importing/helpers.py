"""Importing a written demo city into a store, in the order an office would."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application, SignedIn
from toda_desktop.importing.service import ImportResult
from toda_desktop.store_setup import create_empty_store

FIRST = ("students", "schools", "enrollments")


@contextmanager
def lead_on_new_store(store_path: Path, registers: Sequence[Path] = ()) -> Iterator[SignedIn]:
    """A new test store, signed in as the project lead, with these register files imported
    (the usual start of an import test)."""
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    try:
        signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
        for path in registers:
            signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
        yield signed
    finally:
        app.close()


def ordered_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file()]

    def rank(p: Path) -> tuple[int, str]:
        for i, prefix in enumerate(FIRST):
            if p.name.startswith(prefix):
                return i, p.name
        return len(FIRST), p.name

    return sorted(files, key=rank)


def import_all(signed: SignedIn, folder: Path) -> list[ImportResult]:
    """Every file, and every sheet of a workbook whose header fits, as the command line."""
    results = []
    for path in ordered_files(folder):
        for inspection in signed.importing.inspect_sheets(path):
            preview = signed.importing.preview(inspection)
            if preview.can_commit:
                results.append(signed.importing.commit(preview))
    return results


def stored_links(signed: SignedIn) -> pd.DataFrame:
    """Every stored pupil row: (file, excel row) → the 宛名番号 it was linked to."""
    frames = []
    for kind in signed.registry.kinds:
        if not kind.links_to_pupil:
            continue
        rows = signed.store.db.call(lambda c, k=kind: c.execute(
            f"SELECT b.source_name, t.source_row, p.address_code FROM {k.table} t"
            " JOIN import_batches b ON b.id = t.batch_id"
            " JOIN ds_students p ON p.id = t.pupil_id").fetchall())
        frames.append(pd.DataFrame(rows, columns=["file", "excel_row", "linked"]))
    return pd.concat(frames, ignore_index=True)


def truth(folder: Path) -> pd.DataFrame:
    """The interchange files' rows (the real-world forms are in :func:`forms_truth`)."""
    rows = pd.read_csv(folder / "ground_truth" / "rows.csv", dtype=str, keep_default_na=False)
    rows["excel_row"] = rows["row"].astype(int) + 1  # data row 1 is Excel row 2
    return rows


def forms_truth(folder: Path, name: str = "forms_rows.csv") -> pd.DataFrame:
    """The real-world forms' data rows (``forms_rows.csv``) or the forms (``forms.csv``)."""
    rows = pd.read_csv(folder / "ground_truth" / name, dtype=str, keep_default_na=False)
    if "excel_row" in rows.columns:
        rows["excel_row"] = rows["excel_row"].astype(int)
    return rows


def all_truth(folder: Path) -> pd.DataFrame:
    """Every data row of every file, the forms' among them: file as its batches and review
    items name it (a sheet of a workbook with several: ``出欠_….xlsx（シート「1年」）``),
    excel_row, kind, address_code, flags and linkable (a form's row identical to an earlier
    one is flagged ``duplicate_exact``)."""
    main = truth(folder)[["file", "excel_row", "kind", "address_code", "flags", "linkable"]]
    forms = forms_truth(folder)
    several = forms.groupby("file")["sheet"].transform("nunique") > 1
    forms["file"] = forms["file"].where(
        ~several, forms["file"] + "（シート「" + forms["sheet"] + "」）")
    forms["flags"] = forms["expect"].map({"repeat": "duplicate_exact"}).fillna("")
    forms["linkable"] = "id"
    forms = forms[["file", "excel_row", "kind", "address_code", "flags", "linkable"]]
    return pd.concat([main, forms], ignore_index=True)
