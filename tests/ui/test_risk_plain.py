"""The plain view of 予測モデル and 要因分析 (issue 16): what 室長 and 課長 read first is in
words and natural frequencies, without the statistics' jargon; the terms are explained in a
glossary that the tables' tooltips share."""

from __future__ import annotations

from typing import Any

from analysis.risk.report import Evaluation
from ui.risk.factors_page import FactorRow, plain_findings
from ui.risk.glossary import GLOSSARY, tip_for_text
from ui.risk.model_page import METRICS
from ui.risk.plain import out_of_events, plain_sections

JARGON = ("ROC", "AUC", "PR-AUC", "Brier", "正則化", "LASSO", "偽陽性率", "特徴量", "再現率",
          "適合率", "ブートストラップ", "ロジスティック")


def _evaluation(events: int, *, recall: float = 0.7, precision: float = 0.05,
                target_met: bool = True) -> Evaluation:
    def scoring(key: str, label: str, r5: float, p5: float) -> dict[str, Any]:
        return {"key": key, "label": label, "recall@5": {"value": r5, "lo": r5 - 0.1,
                                                         "hi": r5 + 0.1},
                "precision@5": {"value": p5}, "auc": {"value": 0.81},
                "lead_time": {"mean": 1.6}}

    return Evaluation.from_json({
        "test_year": 2025, "months": ["2025-05", "2025-06"], "events": events, "schools": 12,
        "config": {"family": "logreg_l2", "feature_set": "absence"},
        "scorings": {"model": scoring("model", "モデル", recall, precision),
                     "cum_ns": scoring("cum_ns", "基準: x", 0.5, 0.03)},
        "bar": {"recall@5": recall, "target": 0.6, "at_least_target": target_met},
        "fairness": {"model": {"性別": {"recall_gap": 0.04}, "学年": {"recall_gap": 0.12}}},
    })


def _text(evaluation: Evaluation) -> str:
    return "\n".join(line for s in plain_sections(evaluation, "令和7年度") for line in s.lines)


def test_how_often_it_is_right_is_said_as_people_out_of_a_hundred() -> None:
    text = _text(_evaluation(412))
    assert "新たに不登校となった児童生徒100人のうち約70人は" in text
    assert "一覧に入った児童生徒100人のうち、翌月に不登校となったのは約5人" in text
    assert "残りの約95人は不登校になっていません" in text
    assert "病気・出席停止以外の累積欠席日数の順）では100人のうち約50人" in text
    assert "出欠（病気欠席を分けて）＋前年度" in text  # what it reads, in the data's words
    assert "市の目標" in text and "達成しています" in text
    assert "最大で約12ポイント（学年）" in text


def test_with_few_events_the_real_counts_are_given_not_a_hundred() -> None:
    assert out_of_events(0.7, 40) == "延べ40人のうち28人"
    assert out_of_events(0.7, 400) == "100人のうち約70人"
    text = _text(_evaluation(40, target_met=False))
    assert "延べ40人のうち28人" in text and "まだ達成していません" in text


def test_the_plain_view_uses_no_statistics_word() -> None:
    text = _text(_evaluation(412))
    assert [w for w in JARGON if w in text] == []
    for section in plain_sections(_evaluation(412), "令和7年度"):
        assert section.title and section.lines


def test_every_metric_and_method_word_on_the_pages_is_in_the_glossary() -> None:
    for term in ("ROC-AUC", "PR-AUC", "Brierスコア", "偽陽性率", "特徴量", "ダブルLASSO",
                 "L1正則化・L2正則化", "再現率", "95%区間"):
        assert term in GLOSSARY
    for _key, label, _tip, _how in METRICS:  # each metric row's tooltip explains its words
        if any(w in label for w in ("AUC", "Brier", "再現率", "適合率")):
            assert tip_for_text(label), label
    assert "L1" in tip_for_text("ロジスティック回帰（L1正則化）")


def _row(label: str, coef: float, lo: float, hi: float) -> FactorRow:
    return FactorRow(label, "10ポイント", 100, (coef, lo, hi), (coef, lo, hi), "なし", "")


def test_factor_findings_in_days_per_hundred_school_days() -> None:
    lines = plain_findings([
        _row("調査「友人との関係」の肯定的回答", -0.62, -1.1, -0.2),
        _row("学力（県学調のレベル）", 0.4, 0.1, 0.7),
        _row("調査「家庭」の肯定的回答", 0.2, -0.3, 0.6),
    ])
    assert lines[0].startswith("調査「友人との関係」の肯定的回答が10ポイント高い児童生徒ほど、"
                               "欠席が少ない傾向")
    assert "授業日100日あたり約0.6日" in lines[0]
    assert "欠席が多い傾向" in lines[1]
    assert lines[2] == "次の要因は、欠席との関連がはっきりしませんでした: 家庭（調査）。"
    assert [w for w in JARGON if w in "".join(lines)] == []
    assert plain_findings([]) == [
        "分析できる要因がありませんでした（回答のある人数が足りません）。"]
