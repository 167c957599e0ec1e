"""Findings spilled to the encrypted file read exactly as findings held in memory (issue 10,
point 10: a bounded number of findings in memory, whatever the file holds).

The same files go through the same steps twice, into two new stores made alike: once with
the default bound (everything held), once with a tiny one (0 or 10 findings in memory: every
preview with more findings spills). Everything a user sees or gets must be the same: the
preview's counts and values to map, the wizard's table (lines by position, slices, 重要度
of each line, the counts per 重要度), the report file's bytes, the command line's output,
what commit stores (with overwrite and with repeated visits kept) and the 名寄せ queue.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.composition import Application, SignedIn
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.importing import findings_held
from toda_desktop.importing.findings import ReportLines
from toda_desktop.importing.layouts import layout_notes
from toda_desktop.importing.service import ImportPreview
from toda_desktop.store_setup import create_empty_store
from ui.importing.models.preview import IssueLines, severity_counts

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
REGISTERS = [FILES / n for n in ("students.csv", "schools.csv", "enrollments_2024.csv")]
PUPILS = ["0000101", "0000102", "0000103", "0000104", "0000105"]
HEADER = "宛名番号,年度,月,授業日数,欠席日数,病気欠席,遅刻,早退\n"
CHUNK = 40  # rows a chunk: the damaged file is read in several
TINY = (0, 10)


def damaged_attendance(folder: Path) -> Path:
    """Monthly attendance sent back with a finding of every kind the checks make: unknown
    pupils (linking), words and out-of-range values (checking), rows repeated identically
    and with other values (duplicates), a totals row, and good rows between them."""
    lines = []
    for i in range(260):
        pupil, year, month = PUPILS[i % 5], 2010 + i // 60, (i // 5) % 12 + 1
        cells = [pupil, str(year), str(month), "20", str(i % 3), "0", "0", "0"]
        turn = i % 7
        if turn == 0:
            cells[0] = "99" + pupil
        elif turn == 1:
            cells[4] = "不明"
        elif turn == 2:
            cells[3] = "45"
        elif turn == 3:
            cells[6] = "2024/05/01"
        lines.append(",".join(cells))
        if i % 23 == 5:
            lines.append(",".join(cells))  # the same row again
        if i % 31 == 6:
            lines.append(",".join([*cells[:4], "19", *cells[5:]]))  # same key, other value
    lines.insert(120, "合計,,,2400,300,0,0,0")
    path = folder / "出欠_誤り.csv"
    path.write_bytes((HEADER + "\n".join(lines) + "\n").encode("cp932"))
    return path


def repeated_visits(folder: Path) -> Path:
    """Health-room visits, each written several times (a log where a visit is a line and
    a pupil may come twice a day): identical rows are repeats the user may keep."""
    source = (FILES / "hoken_2024_06_corrected.csv").read_bytes().decode("cp932").splitlines()
    header, rows = source[0], source[1:]
    body = [row for row in rows for _ in range(1 + len(row) % 3)]
    path = folder / "保健室_繰り返し.csv"
    path.write_bytes(("\r\n".join([header, *body]) + "\r\n").encode("cp932"))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("spill-files")
    return {"attendance": damaged_attendance(folder), "visits": repeated_visits(folder)}


@pytest.fixture
def counted_spills(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The spill files made (the real class, its paths noted), to see a run spilled."""
    made: list[Path] = []
    real = findings_held.SpillFile

    class Noted(real):  # type: ignore[misc,valid-type]
        def __init__(self, store: Path) -> None:
            super().__init__(store)
            made.append(self.path)

    monkeypatch.setattr(findings_held, "SpillFile", Noted)
    return made


def _store(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "city.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(path)
    try:  # reports of whole damaged files: no approval asked in these tests
        app.sign_in(LEAD_LOGIN, LEAD_PASSWORD).export_purposes.set_threshold(1_000_000)
    finally:
        app.close()
    return path


@pytest.fixture
def signed_pair(tmp_path: Path) -> Iterator[tuple[SignedIn, SignedIn]]:
    """Two new stores made alike, each with the hand-written register."""
    apps = [Application(_store(tmp_path / name)) for name in ("held", "spilled")]
    try:
        pair = [app.sign_in(LEAD_LOGIN, LEAD_PASSWORD) for app in apps]
        for signed in pair:
            for path in REGISTERS:
                signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
            signed.importing.chunk_rows = CHUNK
        yield pair[0], pair[1]
    finally:
        for app in apps:
            app.close()


def seen(preview: ImportPreview, report: Path, signed: SignedIn) -> dict[str, Any]:
    """All a user sees of a preview: counts, values to map, the wizard's table read as the
    view reads it (by position, by slice, 重要度 per line), the report file's bytes."""
    lines = ReportLines(preview.findings)
    table = IssueLines(ReportLines(preview.findings))
    n = len(lines)
    probes = sorted({0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n)))
    signed.importing.export_issues(preview, report, purpose=PURPOSE)
    return {
        "counts": preview.counts, "blocking": preview.blocking,
        "can_commit": preview.can_commit, "unknown": preview.unknown_values,
        "review": preview.to_review, "changes": preview.changes,
        "repeats": preview.repeat_rows.to_dict("split"), "layout": layout_notes(preview),
        "lines": list(lines), "by_position": [lines[i] for i in reversed(probes)],
        "slices": [lines[a:a + 7] for a in probes], "table": [table[i] for i in probes],
        "severity": [table.severity(i) for i in range(n)],
        "severity_counts": severity_counts(table), "report": report.read_bytes(),
    }


def stored(signed: SignedIn) -> dict[str, list[tuple[object, ...]]]:
    tables = ("ds_attendance_monthly", "ds_health_room_visits", "review_queue")
    out = {}
    for table in tables:
        columns = signed.store.db.call(lambda c, t=table: [
            r[1] for r in c.execute(f"PRAGMA table_info({t})")])
        wanted = [c for c in columns if not c.endswith("_at")]
        out[table] = signed.store.db.call(lambda c, t=table, w=wanted: c.execute(
            f"SELECT {', '.join(w)} FROM {t} ORDER BY 1").fetchall())
    return out


def steps(signed: SignedIn, files: dict[str, Path], folder: Path) -> list[Any]:
    """Each file previewed, looked at and committed as a user would."""
    importing = signed.importing
    out: list[Any] = []
    plan = [(files["attendance"], {}, {}),
            (FILES / "hoken_2024_06.csv", {}, {}),
            (FILES / "hoken_2024_06_corrected.csv", {}, {"overwrite": True}),
            (files["visits"], {}, {"keep_repeats": True}),
            (files["visits"], {"keep_repeats": True}, {})]
    for number, (path, preview_options, commit_options) in enumerate(plan):
        preview = importing.preview(importing.inspect(path), **preview_options)
        try:
            out.append((path.name, seen(preview, folder / f"report{number}.csv", signed),
                        len(preview.findings), preview.findings.spilled))
            if preview.changes_with(commit_options.get("overwrite", False),
                                    commit_options.get("keep_repeats", False)) and (
                    not preview.blocking):
                result = importing.commit(preview, **commit_options)
                out.append(("result", result.inserted, result.overwritten, result.queued,
                            result.skipped_identical, result.excluded))
        finally:
            preview.close()
    out.append(stored(signed))
    return out


def _timeless(value: object) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "(time)", repr(value))


@pytest.mark.slow
@pytest.mark.parametrize("bound", TINY)
def test_spilled_findings_give_the_same_previews_reports_and_commits(
        signed_pair: tuple[SignedIn, SignedIn], files: dict[str, Path], tmp_path: Path,
        bound: int) -> None:
    held, spilled = signed_pair
    spilled.importing.held_findings = bound
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    in_memory = steps(held, files, tmp_path / "a")
    on_disk = steps(spilled, files, tmp_path / "b")
    # The runs differ only in where their findings were kept.
    previews = [(a, b) for a, b in zip(in_memory, on_disk, strict=True)
                if isinstance(a, tuple) and len(a) == 4]
    assert [a[2] for a, _ in previews] == [b[2] for _, b in previews]
    assert not any(a[3] for a, _ in previews)
    assert all(b[3] == (b[2] > bound) for _, b in previews)
    assert sum(b[3] for _, b in previews) >= (len(previews) - 1 if bound == 0 else 1)
    assert previews[0][0][2] > 150  # the damaged file: a finding on most rows
    # (a file imported again is said so with the time of the first import: not compared)
    assert (_timeless([a[:2] for a in in_memory[:-1]])
            == _timeless([b[:2] for b in on_disk[:-1]]))
    assert in_memory[-1] == on_disk[-1]  # what the stores hold
    for leftover in (tmp_path / "spilled").iterdir():
        assert ".findings-" not in leftover.name  # each spill went with its preview


def test_a_reshaped_form_reads_the_same_spilled(tmp_path: Path) -> None:
    """A form with months as columns: its findings are mapped to the file's rows and
    columns (and repeats collapsed) whole, then held or spilled like any others."""
    got = []
    for name, bound in (("held", None), ("spilled", 0)):
        app = Application(_store(tmp_path / name))
        try:
            signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
            for register in ("students.csv", "schools.csv", "enrollments.csv"):
                signed.importing.commit(signed.importing.preview(
                    signed.importing.inspect(LAYOUTS / register)))
            signed.importing.held_findings = bound
            for form in ("月別欠席日数_第一小_3年1組.csv", "月別出欠状況_令和6年度.xlsx"):
                preview = signed.importing.preview(signed.importing.inspect(LAYOUTS / form))
                assert preview.findings.spilled == (bound == 0 and len(preview.findings) > 0)
                got.append(seen(preview, tmp_path / f"{name}-{form}.csv", signed))
                if preview.changes_with(False) and not preview.blocking:
                    signed.importing.commit(preview)
                preview.close()
            got.append(stored(signed))
        finally:
            app.close()
    half = len(got) // 2
    assert _timeless(got[:half]) == _timeless(got[half:])
    assert got[0]["layout"] and any(line[1] == 8 and "集計行" in str(line[4])
                                    for line in got[0]["lines"])  # at the file's row
    assert [line[1:4] for line in got[1]["lines"] if line[5] == "エラー"] == [
        [6, "6月（欠席日数）", "abc"]]  # at the file's row and month


def _cli(store: Path, report: Path, *files: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["import", "--store", str(store), "--report", str(report), "--keep-repeats",
                 "--purpose", PURPOSE.choice,
                 *(str(f) for f in files)], out=out)
    return code, out.getvalue().replace(str(report), "(the report)")


def test_the_command_line_says_and_writes_the_same_spilled(
        tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
        counted_spills: list[Path]) -> None:
    monkeypatch.setenv("TODA_PASSWORD", LEAD_PASSWORD)
    monkeypatch.setenv("TODA_USER", LEAD_LOGIN)
    stores = {}
    for name in ("held", "spilled"):
        stores[name] = _store(tmp_path / name)
        assert _cli(stores[name], tmp_path / f"{name}-registers.csv", *REGISTERS)[0] == 0
    said = {}
    for name, bound in (("held", findings_held.HELD_FINDINGS), ("spilled", 10)):
        monkeypatch.setattr(findings_held, "HELD_FINDINGS", bound)
        made = len(counted_spills)
        said[name] = _cli(stores[name], tmp_path / f"{name}.csv", files["attendance"],
                          FILES / "hoken_2024_06.csv", files["visits"])
        assert (len(counted_spills) > made) == (name == "spilled")
    assert said["held"] == said["spilled"]
    assert "主な理由" in said["held"][1]
    assert (tmp_path / "held.csv").read_bytes() == (tmp_path / "spilled.csv").read_bytes()
    assert counted_spills and not any(p.exists() for p in counted_spills)
