"""The checks that judge a whole column, for a file checked chunk by chunk.

A file read in chunks (:func:`analysis.textio.read_text_chunked`) is typed and checked one
chunk at a time; some findings depend on the whole column, not on a row: a value outside an
optional column's list is one warning with its count and first rows, a code column's usual
length decides which codes look short, a percent column whose values are all at most 1 was
probably written as fractions, a column without a header is reported when any row fills it.
:class:`ColumnTally` gathers what each chunk adds (counts, a few rows, a histogram of code
lengths: never a value per row) and gives the same findings, with the same text, as the
checks of :mod:`analysis.values` on the whole column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis.common import concat_issues, empty_issues, issues_frame
from analysis.headers import HeaderMapping
from analysis.specs import ColumnLike
from analysis.textio import RawTable
from analysis.values import (
    SHOWN_ROWS,
    column_issues,
    compact_column,
    digit_code_lengths,
    fraction_issue,
    short_code_issues,
    unknown_value_frame,
    unnamed_with_values,
)


@dataclass
class _Fractions:
    present: int = 0
    largest: float = float("-inf")
    positive: int = 0


@dataclass
class ColumnTally:
    """What the chunks of one file said about its columns (see the module's docstring)."""

    headers: tuple[str, ...] = ()
    mapping: HeaderMapping | None = None
    unnamed: set[int] = field(default_factory=set)
    columns: dict[str, tuple[ColumnLike, str]] = field(default_factory=dict)
    # Per column key, per value outside the list: (rows, the first SHOWN_ROWS + 1 rows).
    unknown: dict[str, dict[str, tuple[int, list[int]]]] = field(default_factory=dict)
    # Per code column: rows per length of the codes made only of digits.
    lengths: dict[str, dict[int, int]] = field(default_factory=dict)
    fractions: dict[str, _Fractions] = field(default_factory=dict)
    # Per required yes/no column: whether some chunk read blanks as "no" (written only with
    # ○ marks) and whether some chunk held other spellings (then a blank is unknown).
    marks: dict[str, tuple[bool, bool]] = field(default_factory=dict)

    def add_table(self, raw: RawTable, mapping: HeaderMapping) -> None:
        """A chunk's columns: which unnamed columns hold values."""
        self.headers, self.mapping = raw.headers, mapping
        self.unnamed.update(unnamed_with_values(raw, mapping))

    def add_unknown(self, col: ColumnLike, shown: str,
                    by_value: Mapping[str, tuple[int, list[int]]]) -> None:
        """A chunk's values outside ``col``'s list, in file order."""
        self.columns.setdefault(col.key, (col, shown))
        mine = self.unknown.setdefault(col.key, {})
        for value, (count, rows) in by_value.items():
            before, first = mine.get(value, (0, []))
            mine[value] = (before + count, (first + rows)[: SHOWN_ROWS + 1])

    def add_marks(self, col: ColumnLike, shown: str, marks_only: bool) -> None:
        """A chunk of a required yes/no column: read with the ○-mark convention or not."""
        self.columns.setdefault(col.key, (col, shown))
        before = self.marks.get(col.key, (False, False))
        self.marks[col.key] = (before[0] or marks_only, before[1] or not marks_only)

    def add_column(self, typed: pd.Series, col: ColumnLike, shown: str) -> None:
        """A chunk of a typed column (compact): its code lengths or its fractions."""
        self.columns.setdefault(col.key, (col, shown))
        typed = compact_column(typed)
        if col.type in ("code", "digits"):
            counts = self.lengths.setdefault(col.key, {})
            for length, rows in digit_code_lengths(typed).items():
                counts[length] = counts.get(length, 0) + rows
        if col.type == "percent":
            values = typed.dropna()
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(values.cat.categories.dtype)
            seen = self.fractions.setdefault(col.key, _Fractions())
            if len(values):
                seen.present += len(values)
                seen.largest = max(seen.largest, float(values.max()))
                seen.positive += int((values > 0).sum())

    def issues(self) -> pd.DataFrame:
        """The findings about the whole file, once all its chunks are added."""
        out = [column_issues(self.headers, self.mapping, sorted(self.unnamed))
               if self.mapping is not None else empty_issues()]
        for key, by_value in self.unknown.items():
            col, shown = self.columns[key]
            out.append(unknown_value_frame(col, shown, by_value))
        for key, seen in self.fractions.items():
            col, shown = self.columns[key]
            out.append(fraction_issue(seen.present, seen.largest, seen.positive, col, shown))
        for key, (blank_as_no, other) in self.marks.items():
            if blank_as_no and other:
                col, shown = self.columns[key]
                out.append(issues_frame(
                    [None], key, shown, "",
                    f"「{shown}」の書き方がファイルの途中で変わっています（○と空欄の部分と、"
                    "×・はい/いいえなどの部分）。空欄の意味が決められないため取り込みません。"
                    "書き方をそろえてください。", "error", "marks_mixed"))
        return concat_issues(out)

    def has_short_codes(self) -> bool:
        """Whether some chunk holds a code shorter than its column's usual length (then
        :meth:`short_codes` has findings to give)."""
        for counts in self.lengths.values():
            total = sum(counts.values())
            if total < 5:
                continue
            best = max(counts.values())
            mode = min(length for length, rows in counts.items() if rows == best)
            if best / total >= 0.8 and any(length < mode for length in counts):
                return True
        return False

    def short_codes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A chunk's codes shorter than their column's usual length (judged on the whole
        column's lengths): call again for each chunk once all chunks are added."""
        out = []
        for key, counts in self.lengths.items():
            if key not in frame.columns or not counts:
                continue
            col, shown = self.columns[key]
            out.append(short_code_issues(frame[key], col, shown, counts))
        return concat_issues(out)


__all__ = ["ColumnTally"]
