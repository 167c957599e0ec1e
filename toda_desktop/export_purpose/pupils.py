"""How many pupils an export names, where a file's lines are not pupils themselves: the lead's
number counts pupils, never rows."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def rows_cited(issues: pd.DataFrame) -> int:
    """The validation report: each row of a school's file is at most one pupil's record, so
    the different (file, row) pairs its findings cite bound the pupils it can name; a
    finding about a whole file (no row) names none."""
    if not len(issues):
        return 0
    cited = issues.loc[issues["row"].notna(), ["file", "row"]]
    return len(cited.drop_duplicates())


def rows_cited_in(blocks: Iterable[pd.DataFrame]) -> int:
    """:func:`rows_cited` for one file's findings read block by block in the report's order
    (a row's findings together), so that an all-error file at the size limit is counted
    without holding its findings at once (issue 10). A row met twice apart counts twice: the
    count can only err towards asking for an approval."""
    count, last = 0, None
    for block in blocks:
        rows = block["row"].dropna().to_numpy()
        if not len(rows):
            continue
        count += int((rows[1:] != rows[:-1]).sum()) + 1 - int(last is not None and rows[0] == last)
        last = rows[-1]
    return count
