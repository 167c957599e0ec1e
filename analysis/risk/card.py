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
from analysis.risk.models import BASELINES, REASON_AWARE, REASON_BLIND
from analysis.risk.report import MODEL, Bar, Choice, Evaluation, Interval


def _pct(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def _pt(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:+.1f}ポイント"


def _ci(entry: Interval | None, pct: bool = True, digits: int = 3) -> str:
    if entry is None:
        return "—"
    if pct:
        v, lo, hi = (_pct(x) for x in (entry.value, entry.lo, entry.hi))
    else:
        v, lo, hi = (_num(x, digits) for x in (entry.value, entry.lo, entry.hi))
    return f"{v}（95%区間 {lo}〜{hi}）"


# The model families of a grid, in the card's words and order.
FAMILY_WORDS = {"logreg_l2": "L2正則化ロジスティック回帰",
                "logreg_l1": "L1正則化ロジスティック回帰",
                "hgb": "勾配ブースティング木", "rf": "ランダムフォレスト"}


def _families(names: object) -> str:
    """The families the grid held (``facts["families"]``); cards stored before it was kept
    were all trained on grids with every family."""
    if not isinstance(names, list | tuple):
        return "L2・L1正則化ロジスティック回帰、勾配ブースティング木、ランダムフォレスト"
    words = [w for key, w in FAMILY_WORDS.items() if key in names]
    return "、".join(words) if words else "（モデルなし）"

def model_card(facts: Mapping[str, Any], evaluation: Evaluation) -> str:
    """Markdown text. ``facts``: created_at, created_by, data_version, period, pupils,
    grid_size, families (optional: the non-baseline model families of the grid), grid_seconds,
    selection_years, selection (summary row of the best model), regret (optional) and choice
    (``validation.choose``: whether the simple ranking is used).
    ``evaluation``: the report of ``evaluate_holdout``."""
    config = evaluation.config
    choice = (Choice.from_json(facts["choice"]) if facts.get("choice")
              else evaluation.choice)
    simple_used = choice is not None and choice.simple_chosen
    simple_key = str((choice.simple if choice else None) or "||").split("|")[1]
    simple_label = BASELINES.get(simple_key, simple_key)
    sc = evaluation.scorings
    model = sc[MODEL]
    lines: list[str] = []
    add = lines.append
    add("# モデルカード：不登校の早期把握モデル")
    add("")
    add(f"- 作成日時: {facts.get('created_at', '—')}　作成者: {facts.get('created_by', '—')}")
    extent = f"{facts['data_extent']}（データ版 {facts.get('data_version', '—')}）" \
        if facts.get("data_extent") else f"データ版 {facts.get('data_version', '—')}"
    add(f"- データ: {extent}　対象期間: {facts.get('period', '—')}"
        f"　児童生徒数: {facts.get('pupils', '—')}")
    add("")
    add("## 目的と使い方")
    add("各学校で「今月、誰から先に様子を確かめるか」を決める手がかりです。毎月、学校ごとに"
        "先に様子を確かめる数人を一覧（アラート）にし、理由を平易な言葉で示します。")
    add("**子どもにラベルを付けるものではありません。** 一覧に入った児童生徒の多くは不登校に"
        "なりません（誤警報）。結果は教職員の観察と対話の代わりにはならず、"
        "支援の判断は必ず人が行います。リスクは帯（高・中・低）でのみ示します。"
        "一覧の中の順は学校の中で確かめる順にとどめ、学校どうしや市全体で児童生徒を"
        "並べた表は示しません。")
    add("")
    if simple_used:
        add("**このデータでは、学習したモデルが単純な並べ方に及ばなかったため、一覧には"
            f"単純な並べ方「{simple_label}」を使います。** "
            "以下の評価はモデルと各基準を並べて示します。")
        add("")
    add("## ラベル（予測する出来事）")
    add("その年度にまだ不登校ではない児童生徒が、翌月中に**不登校となること**："
        "長期欠席調査で理由が「不登校」と報告される、または年度内の欠席のうち"
        "病気欠席と出席停止・忌引を除いた日数が30日に達する"
        "（長期欠席調査がその年度について不登校ではないと報告している場合は除きます）。"
        "病気による長期欠席は予測の対象ではありません（全国では長期欠席の約2割が病気によるもの"
        "です: 令和5年度 文部科学省調査）。"
        "3か月以内に不登校となるかも第二の見通しとして評価しました。")
    add("")
    add("## 入力（特徴量）")
    add(f"採用した特徴量の組: {FEATURE_SET_LABELS.get(config.feature_set, config.feature_set)}")
    add("")
    for key in config.features:
        f = FEATURE_BY_KEY[key]
        add(f"- {f.label}")
    add("")
    add("病気欠席はそれ以外の欠席と分けて扱います。病気欠席が多いだけで他に兆候のない"
        "児童生徒は、不登校の見通しでは高くなりません。")
    add("各月末の時点で手元にあるデータだけから作ります（翌月以降のデータは使いません。"
        "テストで確認しています）。**性別、就学援助、日本語指導、特別支援は入力に使いません。** "
        "これらは公平性の点検にだけ使います（就学援助は児童生徒ごとの記録がないため、"
        "学校の就学援助率で点検します）。")
    add("")
    add("## 候補と選び方")
    years = "、".join(f"{y}年度" for y in facts.get("selection_years", []))
    add("基準（単純な並べ方）: 欠席の理由を区別しないもの（"
        + "、".join(REASON_BLIND.values()) + "）と、病気欠席と出席停止・忌引を除いて数えるもの（"
        + "、".join(REASON_AWARE.values()) + "）。")
    add(f"基準、{_families(facts.get('families'))}を特徴量の組とハイパーパラメータで組み合わせた"
        f"{facts.get('grid_size', '—')}通りの候補を、時間順の検証（前の年度で学習し、"
        f"後の年度で検証: {years}）で比べました。"
        f"各校5人の一覧の再現率（学校ごと・月ごと）の月平均から"
        f"月ごとのばらつき（標準偏差の半分）を引いた値で比べ、その差が0.5ポイント以内の候補の中では"
        f"最悪の月が良いものを選びました。"
        f"所要時間 {float(facts.get('grid_seconds', 0.0)):.0f}秒。")
    sel = facts.get("selection") or {}
    if sel:
        add(f"最も良かったモデル: {config.label}（検証での月平均 {_pct(sel.get('recall_mean'))}、"
            f"最悪の月 {_pct(sel.get('recall_worst'))}）")
    if choice is not None and choice.simple:
        add(f"選択には基準も含めます。モデルは、病気欠席を除いて数える単純な並べ方のうち"
            f"最も良かった「{simple_label}」以上でなければ使いません"
            f"（検証での比較値: モデル {_pct(choice.model_score)}、"
            f"単純な並べ方 {_pct(choice.simple_score)}）。"
            + ("**モデルはこれに及ばなかったため、単純な並べ方を使います。**" if simple_used
               else "モデルはこれ以上だったため、モデルを使います。"))
    regret = facts.get("regret")
    if regret:
        for step in regret.get("steps", []):
            add(f"- {step['chosen_on']}年度で選んだ候補を{step['judged_on']}年度で見ると、"
                f"その年度の最良との差（後悔）は {_pct(step['regret'])}")
    add("")
    add(f"## 結果（{evaluation.test_year}年度を学習に使わずに評価）")
    add(f"評価した月: {len(evaluation.months)}か月、学校 {evaluation.schools}校、"
        f"新たに不登校となった延べ {evaluation.events}人。"
        "区間は学校×月を単位とするブートストラップ"
        f"（{evaluation.n_boot}回）の95%区間です。")
    add("")
    add("| 方法 | 再現率（各校3人） | 再現率（各校5人） | 再現率（各校10人） | 適合率（各校5人）"
        " | ROC-AUC |")
    add("|---|---|---|---|---|---|")
    for name, rep in sc.items():
        label = _name(name)
        add(f"| {label} | {_ci(rep.recall[3])} | {_ci(rep.recall[5])} | "
            f"{_ci(rep.recall[10])} | {_ci(rep.precision[5])} | "
            f"{_ci(rep.auc, pct=False)} |")
    add("")
    add(f"- PR-AUC {_ci(model.pr_auc, pct=False)}、"
        f"Brierスコア {_ci(model.brier, pct=False, digits=5)}")
    lead = model.lead_time
    add(f"- 先行期間: 一覧に入ってから不登校となるまで平均 {_num(lead.mean, 1)}か月"
        f"（中央値 {_num(lead.median, 1)}か月）")
    add(f"- 一覧の安定性: 前月の一覧にもいた児童生徒の割合 {_pct(model.stability)}")
    add("")
    if evaluation.bar is not None:
        _bar_section(add, evaluation.bar)
    h3 = evaluation.horizon3
    if h3:
        add("## 3か月以内の見通し")
        for name, horizon in h3.items():
            add(f"- {_name(name)}: 各校5人の一覧の再現率 {_ci(horizon.recall5)}、"
                f"ROC-AUC {_num(horizon.auc)}")
        add("")
    fairness = evaluation.fairness
    if fairness.get(MODEL):
        add("## 公平性の点検（各校5人の一覧）")
        add("属性ごとの再現率（不登校となった人のうち一覧に入った割合）と偽陽性率"
            "（ならなかった人のうち一覧に入った割合）。不登校が10人未満の群は参考値です。")
        if "学校の就学援助率" in fairness[MODEL]:
            add("就学援助は児童生徒ごとの記録がないため、一覧の学校の就学援助率が市内の中央値より"
                "高い学校・低い学校で比べています（個人の受給の有無ではありません）。")
        else:
            add("就学援助（学校の就学援助率）は、学校基礎情報がないか閲覧の権限がないため"
                "点検していません。")
        add("")
        add("| 属性 | 群 | 人月 | 不登校 | 再現率 | 偽陽性率 |")
        add("|---|---|---|---|---|---|")
        for attribute, audit in fairness[MODEL].items():
            for g in audit.groups:
                note = "（参考）" if g.small else ""
                add(f"| {attribute} | {g.group}{note} | {g.n:,} | {g.events:,} | "
                    f"{_pct(g.recall)} | {_pct(g.fpr, 2)} |")
        add("")
        for attribute, audit in fairness[MODEL].items():
            add(f"- {attribute}: 再現率の差 {_pct(audit.recall_gap)}、"
                f"偽陽性率の差 {_pct(audit.fpr_gap, 2)}")
        add("")
    bands = model.bands or ()
    if bands:
        add("## 帯（高・中・低）")
        add(f"予測確率 {HIGH:.0%} 以上を「高」、{MIDDLE:.0%} 以上を「中」、それ未満を「低」と"
            "表示します。評価年度での実際の割合:")
        for b in bands:
            add(f"- {b.band}: 延べ {b.n:,}人月、うち翌月不登校 {b.events:,}人"
                f"（{_pct(b.observed)}）")
        add("")
    add("## 限界")
    add("- 欠席が急に始まる場合（いじめ・家庭の出来事など前触れのない場合）は"
        "事前に捉えられません。")
    add("- 病気欠席として記録された不登校（体調不良を理由とする欠席）は、病気欠席と区別できず"
        "見逃すことがあります。逆に、家庭の事情などによる欠席（事故欠席）は不登校と同じように"
        "一覧に入ることがあります。")
    add("- 学習データの期間の学校・制度・記録の付け方が変われば性能も変わります。"
        "毎年度、再学習と評価をやり直してください。")
    add("- デモデータで作成したモデルは架空の都市のものであり、実際の判断には使えません。")
    add("")
    return "\n".join(lines)


def _name(key: str) -> str:
    if key == "model":
        return "モデル"
    kind = "病気を除く" if key in REASON_AWARE else "理由を区別しない"
    return f"基準（{kind}）: {BASELINES.get(key, key)}"


def _bar_section(add: Any, bar: Bar) -> None:
    add("## 目標との比較")
    add(f"- 各校5人の一覧の再現率 {_pct(bar.recall5)}（目標 {_pct(bar.target, 0)}以上: "
        f"{'達成' if bar.at_least_target else '未達'}）")
    add("- 欠席の理由を区別しない単純な並べ方との差（同じ学校・月どうしで比べた"
        "ブートストラップ95%区間。区間全体が0より上なら、モデルの方が良いと言えます）:")
    for r in bar.reason_blind:
        add(f"  - {r.label}（{_pct(r.recall5)}）: 差 {_pt(r.difference)}"
            f"（{_pt(r.lo)}〜{_pt(r.hi)}）")
    blind = "すべて上回る" if bar.beats_reason_blind else "すべてを確かに上回るとは言えない"
    add(f"  - 判定: {blind}")
    add("- 病気欠席と出席停止・忌引を除いて数える単純な並べ方との差"
        "（モデルはこれら以上であることが条件です）:")
    for r in bar.reason_aware:
        add(f"  - {r.label}（{_pct(r.recall5)}）: 差 {_pt(r.difference)}"
            f"（{_pt(r.lo)}〜{_pt(r.hi)}）")
    aware = "いずれ以上" if bar.not_worse_than_reason_aware else "下回るものがある"
    add(f"  - 判定: {aware}")
    if not bar.met:
        add("- **目標の一部を満たしていません。** 一覧は確認の順番の手がかりにとどめ、"
            "単純な並べ方との差が小さいことを踏まえて使ってください。")
    add("")
