"""The validation report's pupil count is the same read whole or block by block (issue 10:
an all-error file's findings are never held at once)."""

from __future__ import annotations

import pandas as pd
import pytest

from toda_desktop.export_purpose.pupils import rows_cited, rows_cited_in

# The report's order: file-level findings (no row) first, then a row's findings together.
FINDINGS = pd.DataFrame({
    "file": ["a.csv"] * 9,
    "row": [None, None, 2, 2, 2, 5, 7, 7, 9],
})


@pytest.mark.parametrize("size", [1, 2, 3, 4, 100])
def test_counting_block_by_block_gives_the_whole_count_at_any_block_size(size: int) -> None:
    blocks = (FINDINGS.iloc[at:at + size] for at in range(0, len(FINDINGS), size))
    assert rows_cited_in(blocks) == rows_cited(FINDINGS) == 4


def test_findings_about_the_whole_file_name_no_pupil() -> None:
    assert rows_cited_in([FINDINGS.iloc[:2]]) == 0
