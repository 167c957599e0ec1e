"""An import's findings as the user reads them: the validation report's lines, built a slice
at a time, and the command line's summary of the reasons.

The findings themselves are held by :class:`~toda_desktop.importing.findings_held.Findings`
(compact, at most a bounded number in memory, the rest in an encrypted spill file); what is
read here is read from it block by block in the report's order, so a preview with a
million findings is never a million lines in memory, and the report is the same whether its
findings were spilled or not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import pandas as pd

from toda_desktop.importing.findings_compact import (
    compact_issues,
    constant_column,
    join_issues,
    ordered_join,
    text_or_blank,
)
from toda_desktop.importing.findings_held import HELD_FINDINGS, Findings

REPORT_SLICE = 50_000  # findings turned into report lines at a time
SEVERITY_LABELS = {"error": "エラー", "warning": "注意", "note": "参考"}
PAGE_LINES = 256  # lines built at once for a screen that asks for one line at a time
SEVERITY_PAGE = 65_536  # severities read at once for a filter that asks line by line


class ReportLines(Sequence[list[object]]):
    """The validation report's lines (ファイル, 行, 列, 値, 理由, 重要度), file-level findings
    first, then by row, each built when asked for: the wizard's table shows a screenful of
    a million findings without a million lines in memory (the last page it read is kept)."""

    def __init__(self, findings: Findings | pd.DataFrame) -> None:
        self.findings = (findings if isinstance(findings, Findings)
                         else Findings.of_frame(findings))
        self._page: tuple[int, list[list[object]]] = (-1, [])
        self._severity_page: tuple[int, list[str]] = (-1, [])

    def __len__(self) -> int:
        return len(self.findings)

    @overload
    def __getitem__(self, index: int) -> list[object]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[object]]: ...

    def __getitem__(self, index: int | slice) -> list[object] | list[list[object]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return block_lines(self.findings.block(start, stop)) if stop > start else []
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError(index)
        first, lines = self._page
        if not first <= at < first + len(lines):
            first = at - at % PAGE_LINES
            lines = block_lines(self.findings.block(first, first + PAGE_LINES))
            self._page = (first, lines)
        return lines[at - first]

    def __iter__(self) -> Iterator[list[object]]:
        for block in self.findings.blocks(REPORT_SLICE):
            yield from block_lines(block)

    def severity(self, index: int) -> str:
        """The 重要度 of line ``index`` (as shown), without building the line."""
        first, words = self._severity_page
        if not first <= index < first + len(words):
            first = index - index % SEVERITY_PAGE
            words = self.findings.severities(first, first + SEVERITY_PAGE)
            self._severity_page = (first, words)
        word = words[index - first]
        return SEVERITY_LABELS.get(word, word)

    def severity_counts(self) -> dict[str, int]:
        """How many lines each 重要度 (as shown) has."""
        counts: dict[str, int] = {}
        for word, n in self.findings.severity_counts().items():
            label = SEVERITY_LABELS.get(word, word)
            counts[label] = counts.get(label, 0) + n
        return counts


def block_lines(block: pd.DataFrame) -> list[list[object]]:
    """A block of findings (in order) as the report's lines."""
    texts = {col: _texts(block[col]) for col in ("file", "column", "value", "reason",
                                                  "severity")}
    numbers = ["" if pd.isna(r) else int(r) for r in block["row"].tolist()]
    return [[f, r, c, v, why, SEVERITY_LABELS.get(sev, sev)]
            for f, r, c, v, why, sev in zip(texts["file"], numbers, texts["column"],
                                            texts["value"], texts["reason"],
                                            texts["severity"], strict=True)]


def report_lines(findings: Findings | pd.DataFrame) -> Iterator[list[object]]:
    """The validation report's lines in order, built ``REPORT_SLICE`` findings at a time."""
    return iter(ReportLines(findings))


@dataclass(frozen=True)
class ReasonGroup:
    """Findings of one severity, code and column: how many name a row, the first reason in
    the report's order, and whether the group holds other reasons too."""

    severity: str
    code: str
    column: str
    rows: int
    reason: str
    several: bool


def reason_groups(findings: Findings) -> list[ReasonGroup]:
    """The findings grouped by (severity, code, column), in the order each group first
    appears in the report, read block by block (the command line's summary of reasons)."""
    groups: dict[tuple[str, str, str], list[object]] = {}
    for block in findings.blocks(REPORT_SLICE):
        keyed = pd.DataFrame({
            "severity": text_or_blank(block["severity"]).astype(str).to_numpy(),
            "code": text_or_blank(block["code"]).astype(str).to_numpy(),
            "column": text_or_blank(block["column"]).astype(str).to_numpy(),
            "has_row": block["row"].notna().to_numpy(),
            "reason": block["reason"].astype(object).to_numpy()})
        counted = keyed.groupby(["severity", "code", "column"], sort=False).agg(
            n=("has_row", "sum"), reason=("reason", "first"), kinds=("reason", "nunique"))
        for (severity, code, column), n, reason, kinds in zip(
                counted.index, counted["n"], counted["reason"], counted["kinds"],
                strict=True):
            key = (str(severity), str(code), str(column))
            seen = groups.get(key)
            if seen is None:
                groups[key] = [int(n), reason, int(kinds) > 1]
            else:
                seen[0] = int(seen[0]) + int(n)  # type: ignore[call-overload]
                seen[2] = bool(seen[2]) or int(kinds) > 1 or reason != seen[1]
    return [ReasonGroup(s, c, col, int(g[0]), str(g[1]),  # type: ignore[call-overload]
                        bool(g[2])) for (s, c, col), g in groups.items()]


def _texts(values: pd.Series) -> list[str]:
    """The column's texts ("" where missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        words = [str(v) for v in values.cat.categories] + [""]  # code -1: missing
        return [words[c] for c in values.cat.codes.to_numpy().tolist()]
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in values.tolist()]


__all__ = ["HELD_FINDINGS", "REPORT_SLICE", "SEVERITY_LABELS", "Findings", "ReasonGroup",
           "ReportLines", "block_lines", "compact_issues", "constant_column", "join_issues",
           "ordered_join", "reason_groups", "report_lines", "text_or_blank"]
