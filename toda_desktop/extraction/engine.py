"""Evaluating an extraction over the store (on the database thread).

Each enabled leaf becomes one or two SQL queries that give, per pupil, whether the condition
holds and the value that decided it; groups combine the pupil sets (AND = intersection,
OR = union, negation = the population minus the set). The population is every pupil
enrolled in the base school year. Pupils without the data a leaf needs do not meet it
(and do meet its negation).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from analysis.specs import NUMERIC_TYPES
from kernel.school_calendar import SchoolMonth
from storage.connection import Connection
from storage.registry import DatasetKind, Registry
from storage.repos import extraction as repo
from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.extraction.model import (
    AGGREGATES,
    DIRECTIONS,
    MEMBERSHIP_KIND,
    MEMBERSHIP_TARGETS,
    OPERATORS,
    Change,
    CountInWindow,
    Extraction,
    FieldMeasure,
    FieldTest,
    Group,
    Leaf,
    Membership,
    Node,
    Period,
    SurveyPositivity,
    Threshold,
    Value,
)
from toda_desktop.phrase import Phrase, SchoolYear, join, phrase

NUMERIC = NUMERIC_TYPES | {"bool"}
NO_RECORD = "該当する記録なし"
CANCELLED = "抽出を中止しました。"


@dataclass(frozen=True)
class LeafOutcome:
    matched: frozenset[int]
    values: dict[int, Phrase]  # pupil -> the value that decided (or the observed value)
    # What a pupil without a record is shown: 「長期欠席調査の記録なし」 reads as a fact under
    # 「長期欠席ではない」, where 「該当する記録なし」 read as a double negative (issue 16).
    missing: Phrase = (NO_RECORD,)


@dataclass(frozen=True)
class Evaluation:
    base_year: int
    population: dict[int, repo.PopulationRow]
    matched: frozenset[int]
    leaves: tuple[Leaf, ...]  # enabled leaves, in tree order
    labels: tuple[Phrase, ...]
    outcomes: tuple[LeafOutcome, ...]


# -- validation and labels -----------------------------------------------------------------


def kinds_used(extraction: Extraction) -> set[str]:
    out: set[str] = set()
    for leaf in extraction.leaves():
        if isinstance(leaf, Threshold | CountInWindow):
            out.add(leaf.kind)
        elif isinstance(leaf, Membership):
            out.add(MEMBERSHIP_KIND)
        elif isinstance(leaf.measure, FieldMeasure):
            out.add(leaf.measure.kind)
        else:
            out |= {"survey_responses", "survey_items"}
    return out


def _pupil_kind(registry: Registry, name: str) -> DatasetKind:
    try:
        kind = registry.kind(name)
    except KeyError:
        raise UserFacingError(f"データの種類「{name}」はありません。") from None
    if not kind.pupil:
        raise UserFacingError(
            f"「{kind.label}」は児童生徒ごとのデータではないため条件にできません。")
    return kind


def _check_field(kind: DatasetKind, name: str) -> None:
    if not kind.has_column(name) or not kind.column(name).stored:
        raise UserFacingError(f"「{kind.label}」に項目「{name}」はありません。")


def _check_tests(kind: DatasetKind, tests: tuple[FieldTest, ...]) -> None:
    for t in tests:
        _check_field(kind, t.field)
        if t.op not in OPERATORS:
            raise UserFacingError(f"比較の種類「{t.op}」は使えません。")


def validate(extraction: Extraction, registry: Registry) -> None:
    """Raise a Japanese UserFacingError for anything the engine cannot evaluate."""
    if not extraction.name.strip():
        raise UserFacingError("抽出条件に名前を付けてください。")
    _validate_node(extraction.root, registry)


def _validate_node(node: Node, registry: Registry) -> None:
    if isinstance(node, Group):
        if node.op not in ("and", "or"):
            raise UserFacingError("条件の組み合わせは「すべて」か「いずれか」です。")
        for item in node.items:
            _validate_node(item, registry)
        return
    if not node.enabled:
        return
    if isinstance(node, Threshold):
        kind = _pupil_kind(registry, node.kind)
        _check_field(kind, node.field)
        _check_tests(kind, node.where)
        if node.op not in OPERATORS:
            raise UserFacingError(f"比較の種類「{node.op}」は使えません。")
        if node.aggregate not in AGGREGATES:
            raise UserFacingError(f"集計の種類「{node.aggregate}」は使えません。")
        if node.aggregate in ("sum", "avg") and kind.column(node.field).type not in NUMERIC:
            raise UserFacingError(f"「{kind.column(node.field).label}」は数値ではありません。")
    elif isinstance(node, Membership):
        if node.target not in MEMBERSHIP_TARGETS:
            raise UserFacingError(f"所属の種類「{node.target}」は使えません。")
        _check_field(_pupil_kind(registry, MEMBERSHIP_KIND), node.target)
        if not node.values:
            raise UserFacingError("学校または学年を1つ以上選んでください。")
    elif isinstance(node, Change):
        if node.direction not in DIRECTIONS:
            raise UserFacingError(f"変化の種類「{node.direction}」は使えません。")
        if isinstance(node.measure, FieldMeasure):
            kind = _pupil_kind(registry, node.measure.kind)
            _check_field(kind, node.measure.field)
            _check_tests(kind, node.measure.where)
            if node.measure.aggregate not in repo.SQL_AGGREGATES:
                raise UserFacingError(f"集計の種類「{node.measure.aggregate}」は使えません。")
            if kind.column(node.measure.field).type not in NUMERIC:
                raise UserFacingError(f"「{kind.column(node.measure.field).label}」は数値では"
                                      "ありません。")
        elif not node.measure.survey_code:
            raise UserFacingError("調査コードを指定してください。")
    elif isinstance(node, CountInWindow):
        kind = _pupil_kind(registry, node.kind)
        _check_tests(kind, node.where)
        if kind.event_date is None:
            raise UserFacingError(
                f"「{kind.label}」には日付がないため、期間内の件数は数えられません。")
        if node.min_count < 1 or node.window_days < 1:
            raise UserFacingError("件数と日数は1以上にしてください。")


def _value_text(value: Value) -> str:
    if isinstance(value, tuple | list):
        return "・".join(str(v) for v in value)
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return str(value)


def _tests_text(kind: DatasetKind, tests: tuple[FieldTest, ...]) -> str:
    return "".join(
        f"、{kind.column(t.field).label}が{_value_text(t.value)}{OPERATORS[t.op]}"
        if t.op not in ("==",) else f"、{kind.column(t.field).label}={_value_text(t.value)}"
        for t in tests
    )


def describe(node: Node, registry: Registry, base_year: int | None = None) -> Phrase:
    """A Japanese description of a node (its label when it has one), its school years kept
    as values for the reader's date style."""
    if node.label:
        return (node.label,)
    prefix = "次に該当しない: " if node.negate else ""
    if isinstance(node, Group):
        joiner = " かつ " if node.op == "and" else " または "
        inner = join([describe(i, registry, base_year) for i in node.items if i.enabled],
                     joiner)
        return phrase(f"{prefix}（", inner, "）")
    if isinstance(node, Threshold):
        kind = registry.kind(node.kind)
        col = kind.column(node.field).label
        period = ("全期間",) if node.period is None else node.period.label(base_year)
        agg = "" if node.aggregate == "any" else f"の{AGGREGATES[node.aggregate]}"
        scope = "（いずれかの記録）" if node.aggregate == "any" else ""
        return phrase(f"{prefix}{kind.label} ", period,
                      f"{_tests_text(kind, node.where)}: {col}{agg}が"
                      f"{_value_text(node.value)}{OPERATORS[node.op]}{scope}")
    if isinstance(node, Membership):
        return phrase(prefix, _membership_text(node, base_year))
    if isinstance(node, Change):
        m = node.measure
        if isinstance(m, SurveyPositivity):
            from toda_desktop.karte.service import survey_name

            what = f"{survey_name(m.survey_code)}の肯定的回答の割合"
            if m.domain:
                what += f"（{m.domain}）"
            if m.subject:
                what += f"（{m.subject}）"
        else:
            kind = registry.kind(m.kind)
            what = (f"{kind.label}{_tests_text(kind, m.where)}の{kind.column(m.field).label}"
                    f"（{AGGREGATES[m.aggregate]}）")
        amount = f"（{node.amount:g}以上）" if node.amount and node.direction in (
            "fell", "rose") else (f"（許容差{node.amount:g}）" if node.amount else "")
        return phrase(f"{prefix}{what}が", node.before.label(base_year), "→",
                      node.after.label(base_year), f"で{DIRECTIONS[node.direction]}{amount}")
    kind = registry.kind(node.kind)
    period = ("全期間",) if node.period is None else node.period.label(base_year)
    return phrase(f"{prefix}{kind.label}{_tests_text(kind, node.where)}が", period,
                  f"に{node.window_days}日以内で{node.min_count}回以上")


def _membership_text(node: Membership, base_year: int | None) -> Phrase:
    """「2025年度に在籍している学校が11101・11102のいずれか」 (school codes and grade numbers as
    stored; the builder labels its conditions with the schools' names)."""
    if node.year_offset is None:
        when: Phrase = ("いずれかの年度",)
    else:
        when = Period(node.year_offset).label(base_year)
    which = _value_text(tuple(node.values))
    any_of = "のいずれか" if len(node.values) > 1 else ""
    return phrase(when, f"に在籍している{MEMBERSHIP_TARGETS[node.target]}が{which}{any_of}")


# -- evaluation ----------------------------------------------------------------------------


def _scope(period: Period | None, base_year: int, tests: tuple[FieldTest, ...]) -> repo.Scope:
    year = None
    month = round_ = None
    if period is not None:
        year = None if period.year_offset is None else base_year + period.year_offset
        month, round_ = period.month, period.round
    return repo.Scope(school_year=year, month=month, round=round_,
                      tests=tuple((t.field, t.op, _sql_value(t.value)) for t in tests))


def _sql_value(value: Value) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return tuple(_sql_value(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_sql_value(v) for v in value)
    return value


def _coerce(kind: DatasetKind, column: str, value: object) -> object:
    if value is None:
        return None
    if kind.column(column).type == "answer":
        return answer_value(value)
    if kind.column(column).type in NUMERIC:
        if isinstance(value, bool):
            return float(value)
        try:
            return float(str(value))
        except ValueError:
            return None
    return str(value)


def answer_value(value: object) -> float | str:
    """A survey answer as it compares: a number (3, 55, 0.83) or a category (満足群), so that
    "AiGROW below 40" compares numbers and "Q-U group = 学級生活不満足群" compares text."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        return float(text)
    except ValueError:
        return text


def _compare(op: str, left: object, right: object) -> bool:
    if left is None:
        return False
    if op in ("in", "not_in"):
        values = right if isinstance(right, tuple | list) else (right,)
        inside = left in values
        return inside if op == "in" else not inside
    if right is None:
        return (op == "!=")
    try:
        if op == ">=":
            return bool(left >= right)  # type: ignore[operator]
        if op == ">":
            return bool(left > right)  # type: ignore[operator]
        if op == "<=":
            return bool(left <= right)  # type: ignore[operator]
        if op == "<":
            return bool(left < right)  # type: ignore[operator]
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
    except TypeError:
        return False
    raise ValueError(op)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)


def _period_text(period: str | None) -> Phrase:
    """Where a row's value was seen: 「（2025年6月）」 or 「（2025年度）」, as values."""
    if not period:
        return ()
    if len(period) == 7:  # a calendar month
        return ("（", SchoolMonth.parse(period), "）")
    if len(period) == 4 and period.isdigit():
        return ("（", SchoolYear(int(period)), "）")
    return (f"（{period}）",)


def _threshold(conn: Connection, kind: DatasetKind, leaf: Threshold,
               base_year: int) -> tuple[set[int], dict[int, Phrase]]:
    scope = _scope(leaf.period, base_year, leaf.where)
    target: Any
    if isinstance(leaf.value, tuple | list):
        target = tuple(_coerce(kind, leaf.field, v) for v in leaf.value)
    else:
        target = _coerce(kind, leaf.field, leaf.value)
    matched: set[int] = set()
    values: dict[int, Phrase] = {}
    if leaf.aggregate == "any":
        prefer_low = leaf.op in ("<", "<=")
        best: dict[int, tuple[object, str | None, bool]] = {}
        for pid, raw, period in repo.field_rows(conn, kind, leaf.field, scope):
            v = _coerce(kind, leaf.field, raw)
            ok = _compare(leaf.op, v, target)
            have = best.get(pid)
            if have is None or (ok and not have[2]) or (ok == have[2] and _better(
                    v, have[0], prefer_low)):
                best[pid] = (v, period, ok)
        for pid, (v, period, ok) in best.items():
            if ok:
                matched.add(pid)
            values[pid] = phrase(_fmt(v), _period_text(period))
        return matched, values
    aggregated = repo.field_aggregate(conn, kind, leaf.field, leaf.aggregate, scope)
    for pid, v in aggregated.items():
        if _compare(leaf.op, v, target):
            matched.add(pid)
        values[pid] = (f"{AGGREGATES[leaf.aggregate]} {_fmt(v)}",)
    return matched, values


def _membership(conn: Connection, kind: DatasetKind, leaf: Membership,
                base_year: int) -> tuple[set[int], dict[int, Phrase]]:
    """Pupils with an enrollment in the year at one of the schools or grades; the value
    shown is that enrollment (the latest one, of a pupil who meets none the latest of all;
    within one year the highest, as a threshold shows it)."""
    year = None if leaf.year_offset is None else base_year + leaf.year_offset
    wanted = {_coerce(kind, leaf.target, v) for v in leaf.values}
    seen: dict[int, tuple[bool, str, object]] = {}  # pupil -> (in, period, value)
    for pid, raw, period in repo.field_rows(conn, kind, leaf.target,
                                            repo.Scope(school_year=year)):
        value = _coerce(kind, leaf.target, raw)
        key = (value is not None and value in wanted, period or "")
        have = seen.get(pid)
        if have is None or key > have[:2] or (key == have[:2] and _better(value, have[2],
                                                                        False)):
            seen[pid] = (*key, value)
    matched = {pid for pid, (inside, _, _) in seen.items() if inside}
    values = {pid: phrase(_fmt(v), _period_text(period))
              for pid, (_, period, v) in seen.items()}
    return matched, values


def _better(value: object, than: object, prefer_low: bool) -> bool:
    try:
        return bool(value < than) if prefer_low else bool(value > than)  # type: ignore[operator]
    except TypeError:
        return False


def _measure(conn: Connection, registry: Registry, measure: FieldMeasure | SurveyPositivity,
             period: Period, base_year: int) -> dict[int, float]:
    if isinstance(measure, SurveyPositivity):
        kind = registry.kind("survey_responses")
        raw = repo.survey_positivity(conn, kind, _scope(period, base_year, ()),
                                     measure.survey_code, measure.domain, measure.subject)
        return {p: 100.0 * pos / n for p, (pos, n) in raw.items() if n}
    kind = registry.kind(measure.kind)
    return repo.field_aggregate(conn, kind, measure.field, measure.aggregate,
                                _scope(period, base_year, measure.where))


def _round_pair(conn: Connection, registry: Registry, measure: SurveyPositivity,
                before: Period, after: Period, base_year: int
                ) -> tuple[dict[int, float], dict[int, float]]:
    """Both sides of a change between two rounds of one year, read in one pass."""
    kind = registry.kind("survey_responses")
    rounds = (before.round or 0, after.round or 0)
    raw = repo.survey_positivity_rounds(
        conn, kind, _scope(replace(before, round=None), base_year, ()), sorted(set(rounds)),
        measure.survey_code, measure.domain, measure.subject)
    b, a = ({p: 100.0 * pos / n for p, (pos, n) in raw[r].items() if n} for r in rounds)
    return b, a


def _change(conn: Connection, registry: Registry, leaf: Change,
            base_year: int, *, explain: bool = True) -> tuple[set[int], dict[int, Phrase]]:
    m = leaf.measure
    if (isinstance(m, SurveyPositivity) and leaf.before.round is not None
            and leaf.after.round is not None
            and registry.kind("survey_responses").has_column("round")
            and replace(leaf.before, round=None) == replace(leaf.after, round=None)):
        before, after = _round_pair(conn, registry, m, leaf.before, leaf.after, base_year)
    else:
        before = _measure(conn, registry, m, leaf.before, base_year)
        after = _measure(conn, registry, m, leaf.after, base_year)
    unit = "%" if isinstance(leaf.measure, SurveyPositivity) else ""
    matched: set[int] = set()
    values: dict[int, Phrase] = {}
    if not explain:
        return {pid for pid in before.keys() & after.keys()
                if leaf.holds(before[pid], after[pid])}, values
    b_label, a_label = leaf.before.label(base_year), leaf.after.label(base_year)
    for pid in before.keys() & after.keys():
        b, a = before[pid], after[pid]
        if leaf.holds(b, a):
            matched.add(pid)
        values[pid] = phrase(b_label, f" {b:.1f}{unit} → ", a_label,
                             f" {a:.1f}{unit}（{a - b:+.1f}）")
    for pid in before.keys() ^ after.keys():
        side = a_label if pid in before else b_label
        values[pid] = phrase(side, "の記録なし")
    return matched, values


def _window_text(n: int, end: str, days: int) -> Phrase:
    """「最多3回（2025年6月3日までの30日間）」, the day as a value."""
    try:
        day: date | str = date.fromisoformat(end[:10])
    except ValueError:
        day = end
    return phrase(f"最多{n}回（", day, f"までの{days}日間）")


def _count(conn: Connection, kind: DatasetKind, leaf: CountInWindow,
           base_year: int) -> tuple[set[int], dict[int, Phrase]]:
    counts = repo.window_counts(conn, kind, leaf.window_days,
                                _scope(leaf.period, base_year, leaf.where))
    matched = {pid for pid, (n, _) in counts.items() if n >= leaf.min_count}
    values = {pid: _window_text(n, end, leaf.window_days) for pid, (n, end) in counts.items()}
    return matched, values


def evaluate(conn: Connection, registry: Registry, extraction: Extraction,
             base_year: int | None = None, *,
             progress: Callable[[float], None] | None = None,
             cancel: Callable[[], bool] | None = None, explain: bool = True) -> Evaluation:
    """Evaluate the extraction; between conditions, report ``progress`` (the fraction of
    enabled leaves evaluated) and stop with :class:`OperationCancelled` when ``cancel()``
    says so (the store is only read, so nothing needs undoing). ``explain=False``: who
    matches only, without the per-pupil values of a change (for counts)."""
    if base_year is None:
        base_year = extraction.school_year or repo.latest_school_year(conn)
    if base_year is None:
        raise UserFacingError("在籍データがないため抽出できません。")
    population = repo.population(conn, base_year)
    universe = frozenset(population)
    leaves: list[Leaf] = []
    outcomes: list[LeafOutcome] = []
    total = len(extraction.leaves())

    def check_cancel() -> None:
        if cancel is not None and cancel():
            raise OperationCancelled(CANCELLED)

    def leaf_outcome(leaf: Leaf) -> LeafOutcome:
        missing: Phrase = (NO_RECORD,)
        if isinstance(leaf, Threshold | CountInWindow | Membership):
            kind = MEMBERSHIP_KIND if isinstance(leaf, Membership) else leaf.kind
            missing = (f"{registry.kind(kind).label}の記録なし",)
        if isinstance(leaf, Threshold):
            matched, values = _threshold(conn, registry.kind(leaf.kind), leaf, base_year)
        elif isinstance(leaf, Membership):
            matched, values = _membership(conn, registry.kind(MEMBERSHIP_KIND), leaf,
                                          base_year)
        elif isinstance(leaf, Change):
            matched, values = _change(conn, registry, leaf, base_year, explain=explain)
        else:
            matched, values = _count(conn, registry.kind(leaf.kind), leaf, base_year)
        hit = frozenset(matched) & universe
        if leaf.negate:
            hit = universe - hit
        return LeafOutcome(hit, values, missing)

    def walk(node: Node) -> frozenset[int] | None:
        """The pupils meeting the node; None for a node with nothing switched on."""
        if not node.enabled:
            return None
        if isinstance(node, Group):
            parts = [s for s in (walk(i) for i in node.items) if s is not None]
            if not parts:
                return None
            result = frozenset.intersection(*parts) if node.op == "and" else frozenset().union(
                *parts)
            return universe - result if node.negate else result
        check_cancel()
        outcome = leaf_outcome(node)
        leaves.append(node)
        outcomes.append(outcome)
        if progress is not None and total:
            progress(len(leaves) / total)
        return outcome.matched

    check_cancel()
    matched = walk(extraction.root)
    check_cancel()
    if progress is not None and not total:
        progress(1.0)
    return Evaluation(
        base_year=base_year,
        population=population,
        matched=universe if matched is None else matched,
        leaves=tuple(leaves),
        labels=tuple(describe(leaf, registry, base_year) for leaf in leaves),
        outcomes=tuple(outcomes),
    )


def value_for(outcome: LeafOutcome, pupil_id: int) -> Phrase:
    return outcome.values.get(pupil_id, outcome.missing)
