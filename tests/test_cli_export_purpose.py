"""The command line's identifiable exports: ``--purpose`` is required (a Japanese refusal
without it), above the lead's number of pupils ``--approval N``, asked for with
``export-approval request`` (issue 13)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.search.helpers import sign_in
from toda_desktop.cli import main
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


@pytest.fixture
def as_analyst(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["data_analyst"][0])


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_export_without_purpose_is_refused_in_japanese_and_writes_nothing(
    demo_store_path: Path, tmp_path: Path, as_analyst: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "students.csv"
    code, _ = _run("export", "--store", str(demo_store_path), "--dataset", "students",
                   "--out", str(out))
    assert code == 2 and not out.exists()
    assert "出力の目的の指定が必要です" in capsys.readouterr().err
    code, _ = _run("export", "--store", str(demo_store_path), "--dataset", "schools",
                   "--out", str(tmp_path / "schools.csv"))  # no pupils: no purpose asked
    assert code == 0


@pytest.mark.slow
def test_above_the_threshold_the_command_line_needs_an_approval_number(
    demo_store_path: Path, tmp_path: Path, as_analyst: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(demo_store_path)
    code, text = _run("export-approval", "purposes", "--store", store)
    assert code == 0 and "ケース会議の資料" in text and "100人を超える" in text
    out = tmp_path / "attendance.csv"
    purpose = ("--purpose", "関係機関との連携（要保護児童対策地域協議会）")
    code, _ = _run("export", "--store", store, "--dataset", "attendance_monthly",
                   "--out", str(out), *purpose)
    assert code == 2 and not out.exists()
    assert "承認が必要です" in capsys.readouterr().err
    code, text = _run("export-approval", "request", "--store", store,
                      "--dataset", "attendance_monthly", *purpose)
    assert code == 0 and "依頼番号 1" in text
    lead = sign_in(demo_store_path, DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD)
    try:
        lead.export_purposes.approve(1)
    finally:
        lead.sign_out()
    code, text = _run("export-approval", "list", "--store", store)
    assert code == 0 and "承認済み" in text
    code, text = _run("export", "--store", store, "--dataset", "attendance_monthly",
                      "--out", str(out), "--approval", "1")
    assert code == 0 and out.exists()
    code, _ = _run("export", "--store", store, "--dataset", "attendance_monthly",
                   "--out", str(tmp_path / "again.csv"), "--approval", "1")
    assert code == 2 and "既に使われています" in capsys.readouterr().err
