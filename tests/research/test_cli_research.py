"""``research extract | projects | approve`` on the demo city, as the staff type them."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest

from tests.research.helpers import one
from toda_desktop.cli import main
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, role: str,
        *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS[role][0])
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue(), capsys.readouterr().err


def extract(store: Path, out: Path, *extra: str) -> list[str]:
    return ["research", "extract", "--store", str(store), "--project", "欠席研究",
            "--years", "2024", "2025", "--kinds", "attendance_term", "--columns",
            "health_checkups.height_cm", "--out", str(out), "--purpose", "欠席と体格の分析",
            *extra]


def test_the_lead_makes_an_extract_that_duckdb_reads_and_the_summary_is_printed(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(capsys, monkeypatch, "project_lead",
                         *extract(demo_store_path, tmp_path))
    assert (code, err) == (0, "")
    assert "研究プロジェクト「欠席研究」を登録しました（承認済み）" in out
    assert "k-匿名性: k = 10" in out and "補完秘匿" in out and "出欠状況（学期）" in out
    files = tuple(tmp_path.iterdir())
    with duckdb.connect() as conn:
        columns = [r[0] for r in conn.execute(
            f"DESCRIBE SELECT * FROM '{one(files, '_health_checkups.parquet')}'").fetchall()]
    assert columns == ["pseudonym", "school_year", "height_cm"]


def test_an_analysts_new_project_waits_for_the_lead_who_approves_it_on_the_command_line(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(capsys, monkeypatch, "data_analyst",
                         *extract(demo_store_path, tmp_path))
    assert code == 2 and "承認待ち" in out and "承認がまだありません" in err
    assert list(tmp_path.glob("*.parquet")) == []
    code, out, _ = run(capsys, monkeypatch, "project_lead", "research", "projects",
                       "--store", str(demo_store_path))
    assert code == 0 and "欠席研究\t欠席と体格の分析\t登録 デモ 分析（demo-analyst）" in out
    assert out.rstrip().endswith("承認待ち")
    code, out, _ = run(capsys, monkeypatch, "project_lead", "research", "approve",
                       "--store", str(demo_store_path), "--project", "欠席研究")
    assert code == 0 and "承認しました" in out
    code, out, err = run(capsys, monkeypatch, "data_analyst",
                         *extract(demo_store_path, tmp_path))
    assert (code, err) == (0, "") and "ファイルを出力しました" in out


def test_a_role_without_research_export_gets_a_japanese_refusal(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(capsys, monkeypatch, "director", *extract(demo_store_path, tmp_path))
    assert code == 2 and "研究用データの作成" in err and "権限がありません" in err


def test_free_text_is_refused_by_its_japanese_label(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(capsys, monkeypatch, "project_lead", "research", "extract", "--store",
                       str(demo_store_path), "--project", "p", "--years", "2025", "--columns",
                       "consultations.summary", "--out", str(tmp_path), "--purpose", "分析")
    assert code == 2 and "「教育相談・SC/SSW相談」の「概要」は研究用データに含められません" in err


def test_years_must_be_numbers(demo_store_path: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "project_lead", "research", "extract", "--store",
                       str(demo_store_path), "--project", "p", "--years", "令和7",
                       "--kinds", "attendance_term", "--out", str(tmp_path), "--purpose", "分析")
    assert code == 2 and "年度を数字で" in err
