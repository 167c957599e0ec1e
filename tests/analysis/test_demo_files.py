"""The demo generator's messy files, read and typed by the analysis functions (no store).

Reports parse findings per file. The end-to-end import and linkage precision against the
store is the import service's test; here only the safety property of pure linkage (no wrong
automatic link against the generator's own master) is checked as well.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.headers import map_headers, recognize_kind
from analysis.linkage import evaluate_links, link_rows
from analysis.textio import read_table
from analysis.values import parse_table
from storage.registry import default_registry

demo = pytest.importorskip("toda_desktop.demo")


@pytest.mark.slow
def test_messy_demo_files_parse_without_errors_and_link_without_mistakes(
    tmp_path: Path,
) -> None:
    if not hasattr(demo, "write_interchange_files"):
        pytest.skip("demo generator has no interchange writer yet")
    registry = default_registry()
    city = demo.generate_city(demo.DemoConfig.small(seed=7))
    out = demo.write_interchange_files(city, tmp_path, messy=True)
    truth_dir = out.ground_truth_dir
    files = pd.read_csv(truth_dir / "files.csv", dtype=str, keep_default_na=False)
    truth_rows = pd.read_csv(truth_dir / "rows.csv", dtype=str, keep_default_na=False)

    students, enrollments = city.frames["students"], city.frames["enrollments"]
    ids = pd.Series(range(1, len(students) + 1),
                    index=students["address_code"].astype(str).to_numpy())
    pupils = students.assign(pupil_id=ids.to_numpy(),
                             address_code=students["address_code"].astype(str))
    enrolled = enrollments.assign(
        pupil_id=ids.reindex(enrollments["address_code"].astype(str)).to_numpy()
    )

    report = []
    wrong = linked = rows_total = 0
    for f in files.itertuples():
        raw = read_table(tmp_path / f.file)
        kind = registry.kind(f.kind)
        guess = recognize_kind(raw.headers, registry.kinds)
        mapping = map_headers(raw.headers, kind.columns)
        parsed = parse_table(raw, mapping, kind.columns)
        counts = parsed.counts()
        line = (f"{f.file}: {counts['rows']} rows, {counts['error_rows']} error rows, "
                f"{counts['warnings']} warnings")
        assert guess.kind == f.kind, (f.file, guess.explanation)
        assert mapping.ok, (f.file, mapping.errors)
        assert counts["rows"] == int(f.rows), f.file
        if kind.links_to_pupil:
            result = link_rows(parsed.frame, pupils, enrolled, event_date=kind.event_date)
            truth = truth_rows[truth_rows["file"] == f.file]
            index = truth["row"].astype(int).to_numpy() + raw.header_row
            expected = pd.Series(ids.reindex(truth["address_code"]).to_numpy(), index=index)
            ev = evaluate_links(result, expected)
            wrong += ev.wrong
            linked += ev.auto_linked
            rows_total += ev.rows
            line += f"; {ev.summary()}"
        report.append(line)
    print("\n" + "\n".join(report))
    print(f"linked automatically {linked}/{rows_total}, wrong {wrong}")
    assert wrong == 0
