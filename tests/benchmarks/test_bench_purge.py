"""Purge time on the full demo city: the plan (dry run), the run, and cleaning the files.

The demo city has enrolments for a few school years only, so the clock is set far enough on
(April 2045) that every retention class of every former pupil has ended: the 5-year kinds
are deleted and 学籍 is pseudonymised, the largest purge the city can have. Printed: seconds
for the plan and for the run (the run includes secure delete, the statistics, the WAL
truncation and VACUUM of every file), the records removed, and the size of the files before
and after.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_purge.py``
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import TEST_SCRYPT_N
from tests.retention.helpers import TWENTY_YEARS_ON, sign_in
from toda_desktop.store_setup import create_demo_store


def test_purge_the_whole_due_city(tmp_path: Path) -> None:
    path = tmp_path / "city" / "demo.tdb"
    start = time.perf_counter()
    create_demo_store(path, seed=1, scrypt_n=TEST_SCRYPT_N).store.close()
    built = time.perf_counter() - start
    lead = sign_in(path, "project_lead", TWENTY_YEARS_ON)
    try:
        size_before = lead.store.size_bytes()
        start = time.perf_counter()
        plan = lead.retention.make_plan()
        planned = time.perf_counter() - start
        lead.retention.approve(plan.id)
        start = time.perf_counter()
        result = lead.retention.run(plan.id)
        ran = time.perf_counter() - start
        size_after = lead.store.size_bytes()
    finally:
        lead.sign_out()
    pupils = max((line.pupils for line in plan.lines if line.kind == "students"), default=0)
    print(f"\n[benchmark] purge of the full demo city (built in {built:.0f} s):"
          f" plan {planned:.2f} s, run {ran:.2f} s for {plan.records:,} records"
          f" ({len(plan.lines)} lines, {pupils:,} pupils pseudonymised in the largest year),"
          f" {result.files} files cleaned; store {size_before / 1e6:.1f} MB →"
          f" {size_after / 1e6:.1f} MB")
    assert all(line.done == line.records for line in result.plan.lines)
    assert result.log_left == 0
