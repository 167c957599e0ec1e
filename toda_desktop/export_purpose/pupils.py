"""How many pupils an export names, where a file's lines are not pupils themselves: the lead's
number counts pupils, never rows."""

from __future__ import annotations

import pandas as pd


def rows_cited(issues: pd.DataFrame) -> int:
    """The validation report: each row of a school's file is at most one pupil's record, so
    the different (file, row) pairs its findings cite bound the pupils it can name; a
    finding about a whole file (no row) names none."""
    if not len(issues):
        return 0
    cited = issues.loc[issues["row"].notna(), ["file", "row"]]
    return len(cited.drop_duplicates())
