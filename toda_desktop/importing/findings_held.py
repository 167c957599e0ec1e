"""An import's findings, at most a bounded number of them in memory, in the report's order.

A file at the 512 MB limit with a finding on every row has ~15 million findings: even
compact (``findings_compact``, ~12 bytes each plus what joining and reading them needs) they
would take the import past its 500 MiB goal (issue 10, point 10). :class:`Findings` keeps up
to ``held`` findings in memory as compact frames; once a preview finds more, all of them go
to an encrypted scratch file beside the store (:mod:`storage.findings_spill`: random key held
only here, deleted on close) and the rest follow there as they are found.

Every reader sees the same thing either way: the counts are added up as findings arrive
(the same code for both), and the findings are read back as compact frames of lines in the
report's order (file-level findings first, then by row, then by the step of the check that
found them, then as found), from memory or from the file; the report's lines, the wizard's
table and the command line's summary are all built from those frames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import IntEnum
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.common import ISSUE_COLUMNS
from storage.findings_spill import TEXT_COLUMNS, SpillFile
from toda_desktop.importing.findings_compact import compact_issues, ordered_join

# Findings kept in memory (a compact finding is ~12 bytes; with joining and reading ~30-40):
# a million is ~40 MB. A preview that finds more keeps none in memory: all go to the spill.
HELD_FINDINGS = 1_000_000
TEXT_CACHE = 100_000  # text ids remembered while spilling (then forgotten and looked up)
WHOLE_BLOCK = 1_000_000  # lines read at a time when a table of all of them is asked for


class Step(IntEnum):
    """Which check of a preview found a finding: a row's findings are reported in this
    order (then as found), as the checks run."""

    CHECKS = 0  # reading and checking the values (and the whole-column checks)
    LINKS = 1  # linking rows to pupils
    DUPLICATES = 2  # rows repeated in the file
    STORE = 3  # comparing with the store
    LATE = 4  # checks that need the whole column first (short codes)
    NOTES = 5  # notes about the whole file, added last


class Findings:
    """All findings of one preview. ``add`` them (each part with the step that found it),
    ``seal`` once complete, then read; ``close`` when the preview ends (deletes a spill).

    ``store``: the store whose folder takes a spill (None: never spilled, for a table of
    findings read whole); ``held``: how many stay in memory at most."""

    def __init__(self, store: Path | None = None, *, held: int | None = None) -> None:
        self.file = ""  # the file's name, on every line of the report
        self._store = store
        self._held = HELD_FINDINGS if held is None else max(0, held)
        self._parts: list[tuple[int, pd.DataFrame]] = []
        self._in_parts = 0
        self._frame: pd.DataFrame | None = None  # sealed in memory: the lines in order
        self._spill: SpillFile | None = None
        self._text_ids: dict[str, int] = {}
        self._sealed = False
        self._closed = False
        # Added up as findings arrive (the same in memory and spilled).
        self._count = 0
        self._file_level = 0
        self._file_errors = 0
        self._severities: dict[str, int] = {}
        self._codes: dict[str, int] = {}
        self._refused: dict[str, dict[str, int]] = {}

    @classmethod
    def of_frame(cls, issues: pd.DataFrame) -> Findings:
        """A table of findings (with or without a ``file`` column), sealed, in memory."""
        found = cls(None)
        found._tally(compact_issues(issues[list(ISSUE_COLUMNS)]))
        found._frame = ordered_join([(0, issues)])
        found._sealed = True
        return found

    # -- adding ------------------------------------------------------------------------------

    def add(self, issues: pd.DataFrame, step: int = 0) -> None:
        """Findings of one check (an issues table, compact or not; its ``file`` is ignored)."""
        if self._sealed:
            raise RuntimeError("findings are sealed")
        if not len(issues):
            return
        part = compact_issues(issues[list(ISSUE_COLUMNS)])
        self._tally(part)
        if (self._spill is None and self._store is not None
                and self._in_parts + len(part) > self._held):
            self._spill = SpillFile(self._store)
            for earlier_step, earlier in self._parts:
                self._write(earlier, earlier_step)
            self._parts, self._in_parts = [], 0
        if self._spill is not None:
            self._write(part, step)
        else:
            self._parts.append((step, part))
            self._in_parts += len(part)

    def seal(self) -> Findings:
        """No more findings: put them in the report's order (once)."""
        if self._sealed:
            return self
        if self._spill is not None:
            self._spill.seal()
            self._text_ids = {}
        else:
            self._frame = ordered_join(self._parts)
            self._parts = []
        self._sealed = True
        return self

    def mapped(self, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Findings:
        """New findings: ``change`` applied to all of these at once (a reshaped form's, read
        whole: mapped to the file's rows and collapsed), then these are closed."""
        self.seal()
        whole = self.whole(with_file=False)
        out = Findings(self._store, held=self._held)
        try:
            out.add(change(whole))
        except BaseException:
            out.close()
            raise
        self.close()
        return out

    def _tally(self, part: pd.DataFrame) -> None:
        self._count += len(part)
        file_level = part["row"].isna().to_numpy()
        self._file_level += int(file_level.sum())
        severity = part["severity"]
        self._file_errors += int((file_level & (severity == "error").to_numpy()).sum())
        for counts, col in ((self._severities, "severity"), (self._codes, "code")):
            for word, n in part[col].value_counts(sort=False, dropna=False).items():
                if n:
                    key = "" if word is None or word != word else str(word)
                    counts[key] = counts.get(key, 0) + int(n)
        refused = part.loc[(part["code"] == "enum").to_numpy()]
        if len(refused):  # counted per distinct (column, value), as written
            pairs = pd.DataFrame({"key": refused["column_key"].astype(str).to_numpy(),
                                  "value": refused["value"].astype(str).to_numpy()})
            for pair, n in pairs.value_counts(sort=False).items():
                key, value = cast(tuple[str, str], pair)
                mine = self._refused.setdefault(str(key), {})
                mine[str(value)] = mine.get(str(value), 0) + int(n)

    def _write(self, part: pd.DataFrame, step: int) -> None:
        spill = self._spill
        assert spill is not None
        columns = []
        for col in TEXT_COLUMNS:
            values = part[col].array
            words = [str(v) for v in values.categories.tolist()]
            # code -1 (no text) is the last entry: id 0
            lookup = np.array([*self._ids_of(words), 0], dtype=np.int64)
            columns.append(lookup[np.asarray(values.codes)].tolist())
        rows = part["row"].array.to_numpy(dtype=object, na_value=None).tolist()
        spill.add(zip(rows, [step] * len(rows), *columns, strict=True))

    def _ids_of(self, words: list[str]) -> list[int]:
        assert self._spill is not None
        new = [w for w in words if w not in self._text_ids]
        if new:
            if len(self._text_ids) + len(new) > TEXT_CACHE:
                self._text_ids = {}
            self._text_ids.update(zip(new, self._spill.text_ids(new), strict=True))
            missing = [w for w in words if w not in self._text_ids]  # forgotten just now
            if missing:
                self._text_ids.update(zip(missing, self._spill.text_ids(missing),
                                          strict=True))
        return [self._text_ids[w] for w in words]

    # -- what was added up ---------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def spilled(self) -> bool:
        return self._spill is not None

    @property
    def spill_path(self) -> Path | None:
        """The scratch file while there is one (tests look at it)."""
        return None if self._spill is None or self._spill.closed else self._spill.path

    @property
    def blocking(self) -> bool:
        """Whether an error concerns the whole file (then nothing can be imported)."""
        return self._file_errors > 0

    @property
    def file_level(self) -> int:
        """How many findings concern the whole file (the first lines of the report)."""
        return self._file_level

    def severity_counts(self) -> dict[str, int]:
        """How many findings each severity word (error, warning, note) has."""
        return dict(self._severities)

    def count(self, code: str) -> int:
        """How many findings have this code."""
        return self._codes.get(code, 0)

    def refused_values(self, column_key: str) -> dict[str, int]:
        """The values a listed column refused (code ``enum``), with how often each."""
        return dict(self._refused.get(column_key, {}))

    # -- reading (sealed) ----------------------------------------------------------------------

    def block(self, start: int, stop: int) -> pd.DataFrame:
        """Lines ``start:stop`` as a compact issues table (with ``file``), in order."""
        self._check_open()
        start, stop = max(0, start), min(self._count, stop)
        if self._frame is not None:
            block = self._frame.iloc[start:stop]
        else:
            block = self._spilled_block(start, stop)
        if "file" not in block.columns:
            block = block.assign(file=pd.Categorical.from_codes(
                np.zeros(len(block), dtype=np.int8), categories=pd.Index([self.file],
                                                                         dtype=object)))
        return block

    def blocks(self, size: int) -> Iterator[pd.DataFrame]:
        for at in range(0, self._count, size):
            yield self.block(at, at + size)

    def severities(self, start: int, stop: int) -> list[str]:
        """The severity word of lines ``start:stop`` ("" when missing)."""
        self._check_open()
        if self._frame is not None:
            values = self._frame["severity"].iloc[start:stop]
            return ["" if pd.isna(v) else str(v) for v in values.tolist()]
        spill = self._reading()
        ids = spill.severities(start, stop)
        words = spill.texts(sorted(set(ids) - {0}))
        return [words.get(i, "") for i in ids]

    def whole(self, *, with_file: bool = True) -> pd.DataFrame:
        """Every finding in one compact table, in order: for tests and a form read whole;
        the service and the screens read :meth:`block` by block."""
        self.seal()
        frame = (ordered_join([(0, b) for b in self.blocks(WHOLE_BLOCK)]) if self._count
                 else self.block(0, 0))
        return frame[["file", *ISSUE_COLUMNS] if with_file else list(ISSUE_COLUMNS)]

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("findings are closed")
        if not self._sealed:
            raise RuntimeError("findings are not sealed")

    def _reading(self) -> SpillFile:
        self._check_open()
        assert self._spill is not None
        return self._spill

    def _spilled_block(self, start: int, stop: int) -> pd.DataFrame:
        spill = self._reading()
        lines = spill.lines(start, stop)
        n = len(lines)
        rows = [r[0] for r in lines]
        ids = np.array([r[1:] for r in lines], dtype=np.int64).reshape(n, len(TEXT_COLUMNS))
        known = np.unique(ids)
        words = spill.texts([int(i) for i in known if i])
        data: dict[str, Any] = {"row": pd.array(rows, dtype="Int32")}
        for at, col in enumerate(TEXT_COLUMNS):
            column = ids[:, at]
            distinct = np.unique(column[column > 0])
            codes = np.searchsorted(distinct, column).astype(np.int32)
            codes[column == 0] = -1
            data[col] = pd.Categorical.from_codes(codes, categories=pd.Index(
                [words[int(i)] for i in distinct], dtype=object))
        return pd.DataFrame(data, columns=list(ISSUE_COLUMNS),
                            index=pd.RangeIndex(start, start + n), copy=False)

    # -- the end -------------------------------------------------------------------------------

    def close(self) -> None:
        """Delete the spill (if any) and forget the findings held; reading ends here."""
        if self._spill is not None:
            self._spill.close()
        self._parts, self._frame, self._closed = [], None, True

    def __enter__(self) -> Findings:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["HELD_FINDINGS", "Findings", "Step"]
