"""The valid typed rows of a file being imported, a chunk at a time, as often as needed.

The preview goes over a file's rows more than once (link and hash; the rows sharing a key;
compare with the store) and the commit once more. :class:`HeldRows` holds a table read whole
(a workbook, a reshaped form) and gives it in slices; :class:`StreamedRows` holds nothing of
a CSV read in chunks (:func:`analysis.textio.read_text_chunked`): each pass reads, types and
checks the file again chunk by chunk, so memory follows the chunk, not the file. Its first
pass gathers what the preview reports about the whole file (findings, counts, the values
outside optional lists, the years); the checks that judge a whole column add up in a
:class:`analysis.tally.ColumnTally` and report once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from analysis.common import Cancelled
from analysis.headers import HeaderMapping
from analysis.specs import ColumnLike
from analysis.tally import ColumnTally
from analysis.textio import RawTable
from analysis.values import ParsedTable, parse_table
from toda_desktop.errors import UserFacingError
from toda_desktop.importing.findings_held import Findings, Step

# A streamed file's valid typed rows are kept after the first pass while they would take at
# most this much (projected from the rows read so far onto the file's row count): the later
# passes then need not read the file again. A larger file is read again on each pass, and
# what it keeps stays a few bytes a row (see the import benchmark). 128 MiB of compact rows
# is ~6M rows of monthly attendance; with the preview's per-row arrays and the process
# itself that stays under the 500 MiB goal.
HOLD_BYTES = 128 * 2**20


@dataclass(frozen=True)
class RowChunk:
    """Valid rows ``start:end`` of the file (positions among all its valid rows), typed and
    compact (index: file row), and the text table they were read from."""

    start: int
    end: int
    frame: pd.DataFrame
    raw: RawTable


class RowSource(Protocol):
    def chunks(self, *, late_checks: bool = False) -> Iterator[RowChunk]: ...


@dataclass
class HeldRows:
    """A file's valid rows held compact (a table read whole), given ``size`` at a time."""

    frame: pd.DataFrame
    raw: RawTable
    size: int

    def chunks(self, *, late_checks: bool = False) -> Iterator[RowChunk]:
        n = len(self.frame)
        for a in range(0, n, self.size):
            b = min(n, a + self.size)
            yield RowChunk(a, b, self.frame.iloc[a:b], self.raw)


@dataclass
class FirstPass:
    """What the first pass over a streamed file found about the whole file (its findings go
    to the source's ``findings``)."""

    rows: int = 0
    error_rows: int = 0
    valid_rows: int = 0
    read_rows: int = 0  # rows of the file's chunks read (blank rows left out)
    # Per optional listed column: how often each value occurs (every row, as in the checks).
    value_counts: dict[str, pd.Series] = field(default_factory=dict)
    done: bool = False


@dataclass
class StreamedRows:
    """A CSV's valid rows read, typed and checked again on each pass, ``size`` records at a
    time. Its findings go to ``findings`` as found (the first pass's, and on a pass with
    ``late_checks`` those that need the whole column first: short codes)."""

    raw: RawTable
    mapping: HeaderMapping
    columns: Sequence[ColumnLike]
    value_maps: dict[str, dict[str, str]]
    size: int
    findings: Findings
    counted: Sequence[str] = ()  # optional listed columns whose values are counted
    cancel: object = None
    # Whether a pass needs the cells as written (a repeating kind's rows are compared as
    # written): then the kept chunks keep their text too.
    keep_text: bool = False
    hold_bytes: int | None = None  # default: HOLD_BYTES when the first pass begins
    tally: ColumnTally = field(default_factory=ColumnTally)
    first: FirstPass = field(default_factory=FirstPass)
    held: list[RowChunk] | None = field(default_factory=list)
    held_bytes: int = 0
    caches: dict[str, dict[str, Any]] = field(default_factory=dict)  # see parse_column

    def _parsed(self, chunk: RawTable) -> ParsedTable:
        return parse_table(chunk, self.mapping, self.columns, value_maps=self.value_maps,
                           compact=True, tally=None if self.first.done else self.tally,
                           caches=self.caches)

    def chunks(self, *, late_checks: bool = False) -> Iterator[RowChunk]:
        if self.first.done and self.held is not None:
            yield from self.held
            if late_checks and self.tally.has_short_codes():
                # Short codes are reported on every row holding one, valid or not: the kept
                # rows are only the valid ones, so the file is read once more for them.
                assert self.raw.chunks is not None
                for chunk in self.raw.chunks(self.size):
                    self.findings.add(self.tally.short_codes(self._parsed(chunk).frame),
                                      Step.LATE)
            return
        yield from self._read(late_checks)

    def _read(self, late_checks: bool) -> Iterator[RowChunk]:
        assert self.raw.chunks is not None
        first = not self.first.done
        if first:  # the header's findings even for a file without rows
            self.tally.add_table(self.raw, self.mapping)
        at = 0
        for chunk in self.raw.chunks(self.size):
            cancel = self.cancel
            if callable(cancel) and cancel():
                raise Cancelled()
            parsed = self._parsed(chunk)
            valid = parsed.valid.to_numpy()
            frame = parsed.frame if valid.all() else parsed.frame.loc[valid]
            if first:
                self._gather(parsed, int(valid.sum()))
            elif late_checks:
                self.findings.add(self.tally.short_codes(parsed.frame), Step.LATE)
            del parsed
            end = at + len(frame)
            if not first and end > self.first.valid_rows:
                raise _changed()
            piece = RowChunk(at, end, frame, chunk)
            if first:
                self._hold(piece, len(chunk.frame))
            yield piece
            at = end
        if first:
            self.findings.add(self.tally.issues(), Step.CHECKS)
            self.first.done = True
        elif at != self.first.valid_rows:
            raise _changed()

    def _hold(self, piece: RowChunk, rows: int) -> None:
        """Keep a chunk's valid rows for the later passes while the whole file's would fit
        in ``hold_bytes`` (projected from the rows read so far); else keep none."""
        if self.held is None:
            return
        self.first.read_rows += rows
        # An empty copy, not a slice: a slice would keep the chunk's text columns alive.
        kept = piece if self.keep_text else dataclasses.replace(
            piece, raw=dataclasses.replace(piece.raw, frame=piece.raw.frame.iloc[:0].copy()))
        size = int(kept.frame.memory_usage(index=True).sum())
        if self.keep_text:
            size += int(kept.raw.frame.memory_usage(index=True).sum())
        self.held_bytes += size
        limit = HOLD_BYTES if self.hold_bytes is None else self.hold_bytes
        projected = self.held_bytes / max(1, self.first.read_rows) * max(
            self.raw.row_count, self.first.read_rows)
        if projected > limit:
            self.held, self.held_bytes = None, 0
            return
        self.held.append(kept)

    def _gather(self, parsed: ParsedTable, valid: int) -> None:
        seen = self.first
        self.findings.add(parsed.issues, Step.CHECKS)  # kept compact, or spilled
        seen.rows += len(parsed.frame)
        seen.error_rows += len(parsed.error_rows)
        seen.valid_rows += valid
        for key in self.counted:
            if key in parsed.frame.columns:
                counts = parsed.frame[key].dropna().astype(str).value_counts()
                before = seen.value_counts.get(key)
                seen.value_counts[key] = counts if before is None else before.add(
                    counts, fill_value=0).astype(np.int64)


def _changed() -> UserFacingError:
    return UserFacingError("ファイルの内容が読み込んだときと変わっています。もう一度ファイルを"
                           "読み込んで確認してください。データベースは変更されていません。")


__all__ = ["FirstPass", "HeldRows", "RowChunk", "RowSource", "StreamedRows"]
