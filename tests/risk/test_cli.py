"""The ``risk`` commands, through a parser of their own (as the main CLI will add them)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from toda_desktop.errors import UserFacingError
from toda_desktop.risk.cli import add_risk_commands
from toda_desktop.store_setup import DEMO_PASSWORD


def _run(*argv: str) -> str:
    parser = argparse.ArgumentParser()
    add_risk_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["risk", *argv])
    out = io.StringIO()
    assert args.handler(args, out) == 0
    return out.getvalue()


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)

    def use(login: str) -> None:
        monkeypatch.setenv("TODA_USER", login)

    return use


@pytest.mark.slow
def test_evaluate_prints_the_table_and_json(risk_store: Path, as_user: object) -> None:
    as_user("demo-analyst")  # type: ignore[operator]
    text = _run("evaluate", "--store", str(risk_store))
    assert "再現率（各校5人）" in text and "上位" not in text and "順位" not in text
    assert "基準: 今年度の累積欠席日数の順" in text
    assert "基準: 今年度の病気・出席停止以外の累積欠席日数の順" in text
    assert "理由を区別しない基準との差" in text and "病気・出席停止を除く基準との差" in text
    report = json.loads(_run("evaluate", "--store", str(risk_store), "--json"))
    assert report["bar"]["recall@5"] is not None
    assert set(report["scorings"]) == {"model", "cum_abs", "abs_rate_last", "proj_next",
                                       "cum_ns", "ns_rate_last", "proj_ns_next"}


@pytest.mark.slow
def test_score_prints_lists_and_writes_the_csv(
    risk_store: Path, as_user: object, tmp_path: Path
) -> None:
    # Standard output can be redirected to a file: without "export" no pupil is identified.
    as_user("demo-truancy")  # type: ignore[operator]
    text = _run("score", "--store", str(risk_store), "--month", "2025-11", "--top", "2")
    assert "令和7年11月（2025年11月）の一覧" in text and "小学校" in text
    assert "宛名番号は出力の権限がある役割にだけ表示します" in text
    assert all(line.split("\t")[1] == "—" for line in text.splitlines() if line.startswith("  "))
    as_user("demo-lead")  # type: ignore[operator]
    # 宛名番号 on the terminal is an identifiable export: only with a stated purpose.
    text = _run("score", "--store", str(risk_store), "--month", "2025-11", "--top", "2")
    assert "宛名番号は、--purpose で目的を指定したときだけ表示します" in text
    assert all(line.split("\t")[1] == "—" for line in text.splitlines() if line.startswith("  "))
    text = _run("score", "--store", str(risk_store), "--month", "2025-11", "--top", "2",
                "--purpose", "学校への情報提供")
    codes = [line.split("\t")[1] for line in text.splitlines() if line.startswith("  ")]
    assert codes and all(c.isdigit() for c in codes)
    out = tmp_path / "lists.csv"
    with pytest.raises(UserFacingError, match="出力の目的の指定が必要です"):
        _run("score", "--store", str(risk_store), "--month", "2025-11", "--out", str(out))
    assert not out.exists()
    text = _run("score", "--store", str(risk_store), "--month", "2025-11", "--out", str(out),
                "--purpose", "学校への情報提供")
    assert "出力しました" in text
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    table = lines[lines.index("") + 1:]  # caution lines, a blank line, then the table
    assert table[0] == "対象月,学校コード,学校名,確認の順（校内）,宛名番号,目安（帯）,主な理由"
    assert all(line.split(",")[4].isdigit() for line in table[1:])
    # An analysis role without alert rights may make the file, but it names nobody.
    as_user("demo-director")  # type: ignore[operator]
    anonymous = tmp_path / "anonymous.csv"
    _run("score", "--store", str(risk_store), "--month", "2025-11", "--out", str(anonymous))
    lines = anonymous.read_text(encoding="utf-8-sig").splitlines()
    table = lines[lines.index("") + 1:]
    assert table[0] == "対象月,学校コード,学校名,確認の順（校内）,目安（帯）"
    assert len(table) > 1 and all(len(line.split(",")) == 5 for line in table[1:])
    text = _run("score", "--store", str(risk_store), "--month", "2025-11")
    assert "児童生徒と理由は見守りアラートの権限がある役割にだけ表示します" in text


@pytest.mark.slow
def test_train_quick_writes_a_card(risk_store: Path, as_user: object, tmp_path: Path) -> None:
    as_user("demo-lead")  # type: ignore[operator]
    card = tmp_path / "card.md"
    text = _run("train", "--store", str(risk_store), "--quick", "--card", str(card))
    assert "モデルを保存しました" in text
    assert card.read_text(encoding="utf-8").startswith("# モデルカード")
