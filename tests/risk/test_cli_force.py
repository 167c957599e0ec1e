"""`risk score --out / --per-school` write only new files unless --force (issue 12, finding
10); one existing school file refuses them all before the first is written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from toda_desktop.cli import main
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


@pytest.fixture
def lead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["project_lead"][0])


def _score(risk_store: Path, *extra: str) -> int:
    # (the lists name pupils: an identifiable export, with its purpose — issue 13)
    return main(["risk", "score", "--store", str(risk_store), "--month", "2025-11",
                 "--purpose", "学校への情報提供", *extra], out=io.StringIO())


def test_score_out_refuses_an_existing_file_without_force(
    risk_store: Path, lead: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lists.csv"
    out.write_bytes(b"october")
    assert _score(risk_store, "--out", str(out)) == 2
    assert "「lists.csv」は既にあります" in capsys.readouterr().err
    assert out.read_bytes() == b"october"
    assert _score(risk_store, "--out", str(out), "--force") == 0
    assert out.read_text(encoding="utf-8-sig").count("\n") > 5


def test_per_school_refuses_all_when_one_file_exists(
    risk_store: Path, lead: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "schools"
    folder.mkdir()
    assert _score(risk_store, "--per-school", str(folder)) == 0
    files = sorted(folder.iterdir())
    assert len(files) > 1
    for f in files:
        f.unlink()
    files[-1].write_bytes(b"kept")
    assert _score(risk_store, "--per-school", str(folder)) == 2
    assert "--force" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == [files[-1].name]  # none written before it
    assert files[-1].read_bytes() == b"kept"
    assert _score(risk_store, "--per-school", str(folder), "--force") == 0
    assert sorted(folder.iterdir()) == files and files[-1].read_bytes() != b"kept"
