"""``retention plan|approve|run`` on the command line: the same plan, approval and purge as
the window, counts only on the screen."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.retention.helpers import FIVE_YEARS_ON
from toda_desktop import cli
from toda_desktop.composition import Application
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


@pytest.fixture
def store(demo_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo city in April 2030, signed in as the project lead."""
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["project_lead"][0])

    def at_2030(path: Path, **options: Any) -> Application:
        return Application(path, clock=lambda: FIVE_YEARS_ON, **options)

    monkeypatch.setattr(cli, "open_application", at_2030)
    return str(demo_store_path)


@pytest.mark.slow
def test_plan_approve_run_from_the_command_line(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _run("retention", "run", "--store", store, "--plan", "1")
    assert code == 2 and "その計画はありません" in capsys.readouterr().err
    code, text = _run("retention", "plan", "--store", store)
    assert code == 0 and "削除計画 1（承認待ち）" in text and "出欠状況（月次）" in text
    code, _ = _run("retention", "run", "--store", store, "--plan", "1")
    assert code == 2 and "承認されていません" in capsys.readouterr().err
    code, text = _run("retention", "approve", "--store", store, "--plan", "1")
    assert code == 0 and "承認しました" in text
    code, text = _run("retention", "run", "--store", store, "--plan", "1")
    assert code == 0 and "削除証明を監査ログに記録しました" in text and "実行済み" in text
    code, text = _run("retention", "show", "--store", store)
    assert code == 0 and "削除・仮名化した数" in text


def test_a_day_after_today_is_refused(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run("retention", "plan", "--store", store, "--as-of", "2045-04-01")
    assert code == 2 and "今日より後" in capsys.readouterr().err
    code, _ = _run("retention", "plan", "--store", store, "--as-of", "2030/04/01")
    assert code == 2 and "YYYY-MM-DD" in capsys.readouterr().err


def test_a_role_without_the_function_is_refused(
    store: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["data_analyst"][0])
    code, text = _run("retention", "plan", "--store", store)
    assert code == 2 and text == "" and "権限" in capsys.readouterr().err
