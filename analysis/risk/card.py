"""The model card, generated in Japanese from the development facts and the evaluation.

Sections: purpose and intended use, data and period, label, features (and what is never an
input), candidates and selection, results against the baselines with intervals, the bar,
the three-month horizon, fairness, bands, limits, date and data version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.risk.bands import HIGH, MIDDLE
from analysis.risk.features import FEATURE_BY_KEY, FEATURE_SET_LABELS
from analysis.risk.models import BASELINES, ModelConfig


def _pct(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def _pt(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:+.1f}ポイント"


def _ci(entry: Mapping[str, Any] | None, pct: bool = True, digits: int = 3) -> str:
    if not entry:
        return "—"
    if pct:
        v, lo, hi = (_pct(entry.get(k)) for k in ("value", "lo", "hi"))
    else:
        v, lo, hi = (_num(entry.get(k), digits) for k in ("value", "lo", "hi"))
    return f"{v}（95%区間 {lo}〜{hi}）"


def model_card(facts: Mapping[str, Any], evaluation: Mapping[str, Any]) -> str:
    """Markdown text. ``facts``: created_at, created_by, data_version, period, pupils,
    grid_size, grid_seconds, selection_years, selection (summary row of the chosen model),
    regret (optional). ``evaluation``: the JSON-ready report of ``evaluate_holdout``."""
    config = ModelConfig.from_json(dict(evaluation["config"]))
    sc = evaluation["scorings"]
    model = sc["model"]
    lines: list[str] = []
    add = lines.append
    add("# モデルカード：不登校（長期欠席）の早期把握モデル")
    add("")
    add(f"- 作成日時: {facts.get('created_at', '—')}　作成者: {facts.get('created_by', '—')}")
    extent = f"{facts['data_extent']}（データ版 {facts.get('data_version', '—')}）" \
        if facts.get("data_extent") else f"データ版 {facts.get('data_version', '—')}"
    add(f"- データ: {extent}　対象期間: {facts.get('period', '—')}"
        f"　児童生徒数: {facts.get('pupils', '—')}")
    add("")
    add("## 目的と使い方")
    add("各学校で「今月、誰から先に様子を確かめるか」を決める手がかりです。毎月、学校ごとに"
        "上位の児童生徒を一覧（アラート）にし、理由を平易な言葉で示します。")
    add("**子どもにラベルを付けるものではありません。** 一覧に入った児童生徒の多くは長期欠席に"
        "なりません（誤警報）。結果は教職員の観察と対話の代わりにはならず、"
        "支援の判断は必ず人が行います。リスクは帯（高・中・低）でのみ示し、"
        "アラート画面以外で児童生徒の順位表を示すことはありません。")
    add("")
    add("## ラベル（予測する出来事）")
    add("その年度にまだ長期欠席ではない児童生徒が、翌月中に長期欠席になること："
        "年度内の累積欠席が30日に達する、または長期欠席調査で30日以上・不登校と報告される。"
        "3か月以内に長期欠席となるかも第二の見通しとして評価しました。")
    add("")
    add("## 入力（特徴量）")
    add(f"採用した特徴量の組: {FEATURE_SET_LABELS.get(config.feature_set, config.feature_set)}")
    add("")
    for key in config.features:
        f = FEATURE_BY_KEY[key]
        add(f"- {f.label}")
    add("")
    add("各月末の時点で手元にあるデータだけから作ります（翌月以降のデータは使いません。"
        "テストで確認しています）。**性別、就学援助、日本語指導、特別支援は入力に使いません。** "
        "これらは公平性の点検にだけ使います（就学援助は児童生徒ごとの記録がないため、"
        "学校の就学援助率で点検します）。")
    add("")
    add("## 候補と選び方")
    years = "、".join(f"{y}年度" for y in facts.get("selection_years", []))
    add(f"基準（{ '、'.join(BASELINES.values()) }）、L2・L1正則化ロジスティック回帰、"
        f"勾配ブースティング木、ランダムフォレストを特徴量の組とハイパーパラメータで組み合わせた"
        f"{facts.get('grid_size', '—')}通りの候補を、時間順の検証（前の年度で学習し、"
        f"後の年度で検証: {years}）で比べました。学校ごと・月ごとの上位5人の再現率の月平均から"
        f"月ごとのばらつき（標準偏差の半分）を引いた値で比べ、その差が0.5ポイント以内の候補の中では"
        f"最悪の月が良いものを選びました。"
        f"所要時間 {float(facts.get('grid_seconds', 0.0)):.0f}秒。")
    sel = facts.get("selection") or {}
    if sel:
        add(f"選ばれたモデル: {config.label}（検証での月平均 {_pct(sel.get('recall_mean'))}、"
            f"最悪の月 {_pct(sel.get('recall_worst'))}）")
    regret = facts.get("regret")
    if regret:
        for step in regret.get("steps", []):
            add(f"- {step['chosen_on']}年度で選んだ候補を{step['judged_on']}年度で見ると、"
                f"その年度の最良との差（後悔）は {_pct(step['regret'])}")
    add("")
    add(f"## 結果（{evaluation['test_year']}年度を学習に使わずに評価）")
    add(f"評価した月: {len(evaluation.get('months', []))}か月、学校 {evaluation.get('schools')}校、"
        f"新たに長期欠席となった延べ {evaluation.get('events')}人。"
        "区間は学校×月を単位とするブートストラップ"
        f"（{evaluation.get('n_boot')}回）の95%区間です。")
    add("")
    add("| 方法 | 上位3人の再現率 | 上位5人の再現率 | 上位10人の再現率 | 上位5人の適合率"
        " | ROC-AUC |")
    add("|---|---|---|---|---|---|")
    for name, rep in sc.items():
        label = "選ばれたモデル" if name == "model" else f"基準: {BASELINES.get(name, name)}"
        add(f"| {label} | {_ci(rep.get('recall@3'))} | {_ci(rep.get('recall@5'))} | "
            f"{_ci(rep.get('recall@10'))} | {_ci(rep.get('precision@5'))} | "
            f"{_ci(rep.get('auc'), pct=False)} |")
    add("")
    add(f"- PR-AUC {_ci(model.get('pr_auc'), pct=False)}、"
        f"Brierスコア {_ci(model.get('brier'), pct=False, digits=5)}")
    lead = model.get("lead_time", {})
    add(f"- 先行期間: 一覧に入ってから長期欠席になるまで平均 {_num(lead.get('mean'), 1)}か月"
        f"（中央値 {_num(lead.get('median'), 1)}か月）")
    add(f"- 一覧の安定性: 前月の一覧にもいた児童生徒の割合 {_pct(model.get('stability'))}")
    add("")
    bar = evaluation["bar"]
    add("## 目標との比較")
    add(f"- 上位5人の再現率 {_pct(bar['recall@5'])}（目標 50%以上: "
        f"{'達成' if bar['at_least_50'] else '未達'}）")
    add(f"- 累積欠席の基準 {_pct(bar['baseline_recall@5'])}（区間の上限 "
        f"{_pct(bar['baseline_hi'])}）を区間を超えて上回るか: "
        f"{'上回る' if bar['above_baseline_interval'] else '上回らない'}")
    add(f"- 差 {_pt(bar['difference'])}（同じ学校・月で比べたブートストラップ95%区間 "
        f"{_pt(bar['difference_lo'])}〜{_pt(bar['difference_hi'])}）")
    simple = (evaluation.get("differences") or {}).get("recall@5:proj_next")
    if simple and "proj_next" in sc:
        same = simple["lo"] <= 0 <= simple["hi"]
        add(f"- 参考: 単純な規則「{BASELINES['proj_next']}」は "
            f"{_pct(sc['proj_next']['recall@5']['value'])}、モデルとの差 {_pt(simple['value'])}"
            f"（区間 {_pt(simple['lo'])}〜{_pt(simple['hi'])}）"
            + ("。順位の正確さはこの規則とほぼ同じです。" if same else "。"))
    if not bar["met"]:
        if bar.get("difference_excludes_zero"):
            add("- **同じ学校・月どうしの比較では差は0を上回りますが、その幅は小さく、"
                "累積欠席の基準の区間の上限は超えていません。** "
                "単純な累積欠席の順位でもほぼ同じ人を一覧にできます。このモデルの利点は"
                "主に理由の説明と帯の表示、わずかな上積みにあります。")
        else:
            add("- **単純な累積欠席の順位と比べた上積みは、不確かさの範囲を超えていません。** "
                "このモデルを使う利点は主に理由の説明と帯の表示にあり、順位の正確さでは"
                "基準とほぼ同等です。")
    add("")
    h3 = evaluation.get("horizon3") or {}
    if h3:
        add("## 3か月以内の見通し")
        for name, rep in h3.items():
            label = "選ばれたモデル" if name == "model" else f"基準: {BASELINES.get(name, name)}"
            add(f"- {label}: 上位5人の再現率 {_ci(rep.get('recall@5'))}、"
                f"ROC-AUC {_num(rep.get('auc'))}")
        add("")
    fairness = evaluation.get("fairness") or {}
    if fairness.get("model"):
        add("## 公平性の点検（上位5人の一覧）")
        add("属性ごとの再現率（長期欠席となった人のうち一覧に入った割合）と偽陽性率"
            "（ならなかった人のうち一覧に入った割合）。長期欠席が10人未満の群は参考値です。")
        if "学校の就学援助率" in fairness["model"]:
            add("就学援助は児童生徒ごとの記録がないため、一覧の学校の就学援助率が市内の中央値より"
                "高い学校・低い学校で比べています（個人の受給の有無ではありません）。")
        else:
            add("就学援助（学校の就学援助率）は、学校基礎情報がないか閲覧の権限がないため"
                "点検していません。")
        add("")
        add("| 属性 | 群 | 人月 | 長期欠席 | 再現率 | 偽陽性率 |")
        add("|---|---|---|---|---|---|")
        for attribute, data in fairness["model"].items():
            for g in data["groups"]:
                note = "（参考）" if g.get("small") else ""
                add(f"| {attribute} | {g['group']}{note} | {g['n']:,} | {g['events']:,} | "
                    f"{_pct(g.get('recall'))} | {_pct(g.get('fpr'), 2)} |")
        add("")
        for attribute, data in fairness["model"].items():
            add(f"- {attribute}: 再現率の差 {_pct(data.get('recall_gap'))}、"
                f"偽陽性率の差 {_pct(data.get('fpr_gap'), 2)}")
        add("")
    bands = model.get("bands") or []
    if bands:
        add("## 帯（高・中・低）")
        add(f"予測確率 {HIGH:.0%} 以上を「高」、{MIDDLE:.0%} 以上を「中」、それ未満を「低」と"
            "表示します。評価年度での実際の割合:")
        for b in bands:
            add(f"- {b['band']}: 延べ {b['n']:,}人月、うち翌月長期欠席 {b['events']:,}人"
                f"（{_pct(b.get('observed'))}）")
        add("")
    add("## 限界")
    add("- 欠席が急に始まる場合（いじめ・家庭の出来事など前触れのない場合）は"
        "事前に捉えられません。")
    add("- 過去の欠席が多いほど上位になりやすく、病気による長期欠席も同じように一覧に入ります。")
    add("- 学習データの期間の学校・制度・記録の付け方が変われば性能も変わります。"
        "毎年度、再学習と評価をやり直してください。")
    add("- デモデータで作成したモデルは架空の都市のものであり、実際の判断には使えません。")
    add("")
    return "\n".join(lines)
