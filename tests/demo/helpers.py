"""Reading written demo files back the way an importer test would."""

from __future__ import annotations

import unicodedata

import pandas as pd

from toda_desktop.demo import InterchangeOutput
from toda_desktop.demo.names import strict_key


def truth(out: InterchangeOutput, name: str) -> pd.DataFrame:
    return pd.read_csv(out.ground_truth_dir / name, dtype=str, keep_default_na=False)


def read_file(out: InterchangeOutput, file_name: str, encoding: str) -> pd.DataFrame:
    """A written file as strings, nothing parsed (leading zeros and 'NA' stay as written)."""
    path = out.ground_truth_dir.parent / file_name
    if file_name.endswith(".xlsx"):
        frame = pd.read_excel(path, dtype=str, engine="calamine")
        return frame.fillna("")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def norm(text: str) -> str:
    """Width-folded text (full-width digits and half-width kana as an importer folds them)."""
    return unicodedata.normalize("NFKC", text)


def name_key(text: str) -> str:
    """Matching key of a name cell: width-folded, variant kanji folded, no spaces."""
    return strict_key(norm(text)).replace(" ", "")
