"""The 予測モデル page's plain view (issue 16): what the model does and how often it is right,
in words and natural frequencies (「100人のうち約◯人」) for 室長 and 課長, before any
statistics. Pure functions of the stored :class:`Evaluation`; the technical tabs keep the
exact figures with their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.risk.features import FEATURE_SET_LABELS
from analysis.risk.models import BASELINES

if TYPE_CHECKING:
    from analysis.risk.report import Evaluation, Interval, Scoring

MODEL_KEY = "model"
LIST_SIZE = 5


@dataclass(frozen=True)
class PlainSection:
    title: str
    lines: tuple[str, ...]


def per_hundred(share: float | None) -> int | None:
    """A share as 「100人のうち約◯人」's ◯ (None when unknown)."""
    return None if share is None else round(share * 100)


def _value(entry: Interval | None) -> float | None:
    return None if entry is None else entry.value


def what_it_uses(evaluation: Evaluation) -> str:
    """The data the model reads, in the words of the feature set (or the simple ranking)."""
    config = evaluation.config
    if config.is_baseline:
        return BASELINES.get(config.feature_set, config.feature_set)
    return FEATURE_SET_LABELS.get(config.feature_set, config.feature_set)


def best_simple(evaluation: Evaluation) -> tuple[str, Scoring] | None:
    """The simple ranking that found the most at 5 per school (the fair comparison)."""
    simple = [(k, s) for k, s in evaluation.scorings.items()
              if k != MODEL_KEY and _value(s.recall.get(LIST_SIZE)) is not None]
    return max(simple, key=lambda ks: _value(ks[1].recall.get(LIST_SIZE)) or 0.0, default=None)


def out_of_events(share: float, events: int) -> str:
    """「100人のうち約70人」, or with fewer than 100 events the real counts
    (「延べ40人のうち28人」): a hundred would invent people the evaluation did not have."""
    if events >= 100:
        return f"100人のうち約{round(share * 100)}人"
    return f"延べ{events:,}人のうち{round(share * events)}人"


def plain_sections(evaluation: Evaluation, year_text: str) -> list[PlainSection]:
    """The plain view: what the model does, how often it is right, what to keep in mind."""
    uses = what_it_uses(evaluation)
    does = [
        f"毎月、学校ごとに「今月、誰から先に様子を確かめるか」の手がかりとして、翌月に新たに"
        f"不登校となる見込みの高い順に{LIST_SIZE}人の一覧を作ります。",
        f"見込みの計算に使うデータ: {uses}。"
        "性別、就学援助、日本語指導、特別支援の情報は使いません（偏りの点検にだけ使います）。",
    ]
    if evaluation.simple_chosen:
        does.append("いまは、学習したモデルより単純な並べ方の方が良かったため、一覧は欠席日数"
                    "などの単純な並べ方で作っています。")
    model = evaluation.scorings.get(MODEL_KEY)
    right: list[str] = [
        f"{year_text}のデータを学習に使わずに取っておき、その年度で試した結果です"
        f"（{len(evaluation.months)}か月分、{evaluation.schools:,}校、新たに不登校となった"
        f"延べ {evaluation.events:,}人）。"]
    events = evaluation.events
    if model is not None:
        found = _value(model.recall.get(LIST_SIZE))
        hit = per_hundred(_value(model.precision.get(LIST_SIZE)))
        if found is not None:
            right.append(f"新たに不登校となった児童生徒{out_of_events(found, events)}は、その前の"
                         f"月の一覧（各校{LIST_SIZE}人）に入っていました。")
        if hit is not None:
            right.append(f"一覧に入った児童生徒100人のうち、翌月に不登校となったのは約{hit}人"
                         f"です。残りの約{100 - hit}人は不登校になっていません。")
        simple = best_simple(evaluation)
        simple_found = None if simple is None else _value(simple[1].recall.get(LIST_SIZE))
        if simple is not None and simple_found is not None and found is not None:
            key, scoring = simple
            name = BASELINES.get(key, scoring.label)
            right.append(f"くらべると、単純な並べ方（{name}）では"
                         f"{out_of_events(simple_found, events)}でした。")
        lead = model.lead_time.mean
        if lead is not None:
            right.append(f"一覧に入ってから不登校となるまでは、平均で約{lead:.1f}か月でした。")
    bar = evaluation.bar
    if bar is not None and bar.target is not None:
        goal = round(bar.target * 100)
        right.append(f"市の目標（新たに不登校となった児童生徒の{goal}%以上が前の月の一覧に入って"
                     "いること）を" + ("達成しています。" if bar.at_least_target
                                      else "まだ達成していません。"))
    keep = [
        "一覧は、声をかける順番を決める手がかりです。子どもにラベルを付けるものではなく、"
        "支援の判断は必ず人が行います。",
        "上の数は試した年度の結果で、年度によって多少変わります（幅は「評価指標」タブに"
        "あります）。",
    ]
    gap = _largest_gap(evaluation)
    if gap is not None:
        attribute, points = gap
        keep.append(f"性別・学年などの群のあいだで、見つけられた割合の差は最大で約{points}"
                    f"ポイント（{attribute}）です。詳しくは「公平性」タブにあります。")
    return [PlainSection("このモデルがしていること", tuple(does)),
            PlainSection("どのくらい当たるか", tuple(right)),
            PlainSection("使うときに気をつけること", tuple(keep))]


def _largest_gap(evaluation: Evaluation) -> tuple[str, int] | None:
    audits = (evaluation.fairness.get(MODEL_KEY) or {}).items()
    gaps = [(name, audit.recall_gap) for name, audit in audits if audit.recall_gap is not None]
    if not gaps:
        return None
    name, gap = max(gaps, key=lambda g: g[1] or 0.0)
    return name, round((gap or 0.0) * 100)
