"""The spill file of an import's findings: ciphertext beside the store, owner-only, with a
name that says nothing about the file; gone when the preview ends, is cancelled or fails;
and a file a crash left behind is removed at the next preview (issue 10, point 10)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3

from storage.findings_spill import ORDERED_COPY, STALE_SECONDS, SpillFile, spill_pattern
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing.test_findings_spill import damaged_attendance
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import OperationCancelled
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.importing import findings_held
from toda_desktop.importing.findings import ReportLines
from toda_desktop.importing.findings_held import Findings
from toda_desktop.store_setup import create_empty_store

ROOT = Path(__file__).resolve().parents[2]
FILES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
NAMES = ["青木　一郎", "井上　花子", "上田　健太", "江藤　美咲", "小川　翼"]
# A register whose 生年月日 column holds the pupils' names (columns pasted one to the left):
# every row's finding carries a name as its value.
ROWS = 60


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[SignedIn]:
    store = tmp_path / "city.tdb"
    create_empty_store(store, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store)
    try:
        me = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
        me.importing.held_findings = 10
        me.importing.chunk_rows = 20
        yield me
    finally:
        app.close()


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The spill files made (the real class, its paths noted)."""
    paths: list[Path] = []
    real = findings_held.SpillFile

    class Noted(real):  # type: ignore[misc,valid-type]
        def __init__(self, store: Path) -> None:
            super().__init__(store)
            paths.append(self.path)

    monkeypatch.setattr(findings_held, "SpillFile", Noted)
    return paths


def names_register(folder: Path) -> Path:
    lines = ["宛名番号,氏名,氏名カナ,生年月日,性別"]
    for i in range(ROWS):
        name = NAMES[i % len(NAMES)]
        lines.append(f"{1000 + i:07d},{name},アオキ イチロウ,{name},男")
    path = folder / "名簿_誤り.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def spills_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".findings-" in p.name)


def test_the_spill_is_ciphertext_beside_the_store_owner_only_and_named_without_data(
        signed: SignedIn, tmp_path: Path) -> None:
    importing = signed.importing
    preview = importing.preview(importing.inspect(names_register(tmp_path)))
    try:
        spill = preview.findings.spill_path
        assert preview.findings.spilled and spill is not None and spill.exists()
        # the findings do hold the names...
        assert {str(line[3]) for line in ReportLines(preview.findings)} >= set(NAMES)
        # ...the file beside the store does not, in any encoding
        store = Path(signed.store.db.path)
        assert spill.parent == store.parent
        assert spill_pattern(store).fullmatch(spill.name)
        if os.name != "nt":
            assert oct(spill.stat().st_mode & 0o777) == oct(0o600)
        data = spill.read_bytes()
        assert len(data) > 4096
        for name in NAMES:
            for encoding in ("utf-8", "cp932", "utf-16-le", "utf-16-be"):
                assert name.encode(encoding) not in data
            assert name.replace("\u3000", "").encode() not in data
        assert b"SQLite format 3" not in data
        # Without the key, or with another, SQLCipher cannot read it.
        for key in (None, "x'" + "ab" * 32 + "'"):
            conn = sqlcipher3.connect(str(spill))
            try:
                if key is not None:
                    conn.execute(f'PRAGMA key = "{key}"')
                with pytest.raises(sqlcipher3.DatabaseError):
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                conn.close()
    finally:
        preview.close()
    assert not spill.exists() and not spills_in(tmp_path)


def test_the_spill_goes_when_the_import_ends(signed: SignedIn, tmp_path: Path,
                                             made: list[Path]) -> None:
    importing = signed.importing
    for name in ("students.csv", "schools.csv", "enrollments_2024.csv"):
        importing.commit(importing.preview(importing.inspect(FILES / name)))
    preview = importing.preview(importing.inspect(damaged_attendance(tmp_path)))
    assert preview.can_commit and preview.findings.spilled  # good rows among the bad
    assert importing.commit(preview).inserted > 0
    assert made and made[-1].exists()  # the report can still be written after the commit
    signed.export_purposes.set_threshold(1_000_000)  # (a bulk report: no approval asked here)
    importing.export_issues(preview, tmp_path / "検証結果.csv", purpose=Purpose("ケース会議の資料"))
    preview.close()
    assert not spills_in(tmp_path)


def _tripping(after: int, error: BaseException | None) -> object:
    """A cancel flag that says "cancel" (or raises ``error``) from its ``after``-th call."""
    calls = [0]

    def flag() -> bool:
        calls[0] += 1
        if calls[0] < after:
            return False
        if error is not None:
            raise error
        return True

    return flag


@pytest.mark.parametrize("error", [None, OSError("the disk went away")],
                         ids=["cancelled", "failed"])
def test_the_spill_goes_when_the_preview_is_cancelled_or_fails(
        signed: SignedIn, tmp_path: Path, made: list[Path], error: BaseException | None) -> None:
    importing = signed.importing
    inspection = importing.inspect(names_register(tmp_path))
    # Two chunks of 20 rows read (20 findings: spilled past 10), then stopped.
    flag = _tripping(3, error)
    expected = OperationCancelled if error is None else OSError
    with pytest.raises(expected):
        importing.preview(inspection, cancel=flag)  # type: ignore[arg-type]
    assert made and not any(p.exists() for p in made)
    assert not spills_in(tmp_path)


def _crashed_spill(store: Path) -> Path:
    """A spill written by a process that then died without cleaning up."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from storage.findings_spill import SpillFile\n"
        "s = SpillFile(Path(sys.argv[1]))\n"
        "s.add([(2, 0, *s.text_ids(['a', 'b', '山田', 'x', 'error', 'type']))])\n"
        "print(s.path, flush=True)\n"
        "os._exit(9)\n")
    done = subprocess.run([sys.executable, "-c", script, str(store)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    return Path(done.stdout.strip())


def test_a_spill_left_by_a_crash_is_removed_at_the_next_preview_and_a_live_one_is_not(
        signed: SignedIn, tmp_path: Path) -> None:
    store = Path(signed.store.db.path)
    left = _crashed_spill(store)
    assert left.exists()
    live = SpillFile(store)  # another import, in progress
    other = tmp_path / f".other.tdb.findings-{'0' * 32}"  # another store's
    other.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    for path in (left, live.path, other):
        os.utime(path, (an_hour_ago, an_hour_ago))
    recent = _crashed_spill(store)  # a crash a moment ago: left for the next time
    try:
        preview = signed.importing.preview(signed.importing.inspect(FILES / "schools.csv"))
        preview.close()
        assert not left.exists()
        assert live.path.exists() and other.exists() and recent.exists()
        os.utime(recent, (an_hour_ago, an_hour_ago))
        signed.importing.preview(signed.importing.inspect(FILES / "schools.csv")).close()
        assert not recent.exists() and live.path.exists()
    finally:
        live.close()
    assert not live.path.exists()
    assert STALE_SECONDS < 3600


def test_the_ordered_copy_is_read_along_the_index_never_sorted_in_a_temporary_file(
        tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "city.tdb")
    try:
        plan = spill.query_plan(ORDERED_COPY)
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        spill.close()


def test_findings_beyond_the_bound_spill_and_read_in_the_report_order(tmp_path: Path) -> None:
    """Rows out of order, several steps, file-level ones: the same order held and spilled."""
    from analysis.common import issues_frame

    def fill(found: Findings) -> Findings:
        found.add(issues_frame([9, 3, None], "a", "列A", ["x", "y", ""], "理由1", "error", "c1"))
        found.add(issues_frame([3, 2], None, None, "", "理由2", "warning", "c2"), step=2)
        found.add(issues_frame([3, None, 1], "b", "列B", ["z", "", "w"], "理由3", "note", "c3"),
                  step=1)
        found.add(issues_frame([None], None, None, "", "注", "note", "c4"), step=5)
        found.file = "f.csv"
        return found.seal()

    held = fill(Findings(tmp_path / "city.tdb", held=100))
    spilled = fill(Findings(tmp_path / "city.tdb", held=3))
    try:
        assert not held.spilled and spilled.spilled
        lines = list(ReportLines(held))
        assert lines == list(ReportLines(spilled))
        assert [(r[1], r[4]) for r in lines] == [
            ("", "理由1"), ("", "理由3"), ("", "注"), (1, "理由3"), (2, "理由2"),
            (3, "理由1"), (3, "理由3"), (3, "理由2"), (9, "理由1")]
        assert held.file_level == spilled.file_level == 3
        assert held.severity_counts() == spilled.severity_counts() == {
            "error": 3, "warning": 2, "note": 4}
    finally:
        held.close()
        spilled.close()
    assert not spills_in(tmp_path)
