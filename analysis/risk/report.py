"""The held-out evaluation as typed, frozen records, and its JSON form.

``evaluate_holdout`` builds the report as plain data; the store keeps it as JSON (the
``evaluation`` of a model's metrics). Everything that reads a report — the model card, the
service, the command line and the 予測モデル page — reads these records, so a key that is
renamed or missing fails in one place (:meth:`Evaluation.from_json`) and not as a silent
``None`` on a screen. ``from_json`` accepts every report stored so far (missing optional
parts become empty) and ``to_json`` writes the same keys back, so a stored report survives a
round trip unchanged.

Rates are fractions (0–1); ``None`` where a rate has no value (no events, too few months).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.risk.models import ModelConfig
from kernel.school_calendar import SchoolMonth

KS = (3, 5, 10)
MODEL = "model"  # the key of the model among the scorings (the others are baselines)

Json = dict[str, Any]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int:
    return int(value or 0)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% bootstrap interval (``lo``/``hi`` None when unknown)."""

    value: float | None
    lo: float | None = None
    hi: float | None = None

    @staticmethod
    def from_json(data: Mapping[str, Any] | None) -> Interval | None:
        if not data:
            return None
        return Interval(_float(data.get("value")), _float(data.get("lo")),
                        _float(data.get("hi")))

    def to_json(self) -> Json:
        return {"value": self.value, "lo": self.lo, "hi": self.hi}


def _interval_json(entry: Interval | None) -> Json | None:
    return None if entry is None else entry.to_json()


@dataclass(frozen=True)
class MonthRecall:
    """One list month of a scoring: onsets, how many were on the lists of 5, the rates."""

    month: SchoolMonth  # the list month (JSON: its text ``YYYY-MM``)
    events: int
    captured: int
    recall: float | None
    precision: float | None

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> MonthRecall:
        return MonthRecall(SchoolMonth.parse(str(data["month"])), _int(data.get("events")),
                           _int(data.get("captured")), _float(data.get("recall")),
                           _float(data.get("precision")))

    def to_json(self) -> Json:
        return {"month": str(self.month), "events": self.events, "captured": self.captured,
                "recall": self.recall, "precision": self.precision}


@dataclass(frozen=True)
class LeadTime:
    """Months between the first listing and the onset (over the onsets that were listed)."""

    mean: float | None = None
    median: float | None = None
    listed_share: float | None = None
    events: float | None = None

    @staticmethod
    def from_json(data: Mapping[str, Any] | None) -> LeadTime:
        data = data or {}
        return LeadTime(_float(data.get("mean")), _float(data.get("median")),
                        _float(data.get("listed_share")), _float(data.get("events")))

    def to_json(self) -> Json:
        return {"mean": self.mean, "median": self.median, "listed_share": self.listed_share,
                "events": self.events}


@dataclass(frozen=True)
class ReliabilityPoint:
    predicted: float
    observed: float
    n: float

    def to_json(self) -> Json:
        return {"predicted": self.predicted, "observed": self.observed, "n": self.n}


@dataclass(frozen=True)
class BandRate:
    """How many pupil-months fell in a band (高/中/低) and how many of them became 不登校."""

    band: str
    n: int
    events: int
    observed: float | None

    def to_json(self) -> Json:
        return {"band": self.band, "n": self.n, "events": self.events,
                "observed": self.observed}


@dataclass(frozen=True)
class Scoring:
    """The model's or one baseline's results on the held-out year."""

    key: str
    label: str
    reason_aware: bool
    recall: Mapping[int, Interval | None]  # by list size k (3, 5, 10)
    precision: Mapping[int, Interval | None]
    auc: Interval | None
    pr_auc: Interval | None
    brier: Interval | None
    per_month: tuple[MonthRecall, ...] = ()
    recall5_month_mean: float | None = None
    recall5_month_worst: float | None = None
    lead_time: LeadTime = field(default_factory=LeadTime)
    stability: float | None = None
    reliability: tuple[ReliabilityPoint, ...] | None = None  # the model only
    bands: tuple[BandRate, ...] | None = None  # the model only

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Scoring:
        reliability = data.get("reliability")
        bands = data.get("bands")
        return Scoring(
            key=str(data.get("key", "")), label=str(data.get("label", "")),
            reason_aware=bool(data.get("reason_aware", False)),
            recall={k: Interval.from_json(data.get(f"recall@{k}")) for k in KS},
            precision={k: Interval.from_json(data.get(f"precision@{k}")) for k in KS},
            auc=Interval.from_json(data.get("auc")),
            pr_auc=Interval.from_json(data.get("pr_auc")),
            brier=Interval.from_json(data.get("brier")),
            per_month=tuple(MonthRecall.from_json(m) for m in data.get("per_month") or ()),
            recall5_month_mean=_float(data.get("recall@5_month_mean")),
            recall5_month_worst=_float(data.get("recall@5_month_worst")),
            lead_time=LeadTime.from_json(data.get("lead_time")),
            stability=_float(data.get("stability")),
            reliability=None if reliability is None else tuple(
                ReliabilityPoint(float(p["predicted"]), float(p["observed"]), float(p["n"]))
                for p in reliability),
            bands=None if bands is None else tuple(
                BandRate(str(b["band"]), _int(b.get("n")), _int(b.get("events")),
                         _float(b.get("observed"))) for b in bands),
        )

    def to_json(self) -> Json:
        out: Json = {}
        for k in KS:
            out[f"recall@{k}"] = _interval_json(self.recall.get(k))
            out[f"precision@{k}"] = _interval_json(self.precision.get(k))
        out |= {"auc": _interval_json(self.auc), "pr_auc": _interval_json(self.pr_auc),
                "brier": _interval_json(self.brier),
                "per_month": [m.to_json() for m in self.per_month],
                "recall@5_month_mean": self.recall5_month_mean,
                "recall@5_month_worst": self.recall5_month_worst,
                "lead_time": self.lead_time.to_json(), "stability": self.stability}
        if self.reliability is not None:
            out["reliability"] = [p.to_json() for p in self.reliability]
        if self.bands is not None:
            out["bands"] = [b.to_json() for b in self.bands]
        out |= {"label": self.label, "key": self.key, "reason_aware": self.reason_aware}
        return out


@dataclass(frozen=True)
class BarRow:
    """The model's recall on lists of 5 minus one simple ranking's, with its interval."""

    key: str
    label: str
    recall5: float | None
    difference: float | None
    lo: float | None
    hi: float | None

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> BarRow:
        return BarRow(str(data["key"]), str(data["label"]), _float(data.get("recall@5")),
                      _float(data.get("difference")), _float(data.get("lo")),
                      _float(data.get("hi")))

    def to_json(self) -> Json:
        return {"key": self.key, "label": self.label, "recall@5": self.recall5,
                "difference": self.difference, "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class Bar:
    """The bar the model must clear (see ``analysis.risk.evaluation``)."""

    recall5: float | None
    recall5_lo: float | None
    recall5_hi: float | None
    target: float | None
    at_least_target: bool
    reason_blind: tuple[BarRow, ...]
    reason_aware: tuple[BarRow, ...]
    beats_reason_blind: bool
    not_worse_than_reason_aware: bool
    met: bool

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Bar:
        return Bar(
            recall5=_float(data.get("recall@5")), recall5_lo=_float(data.get("recall@5_lo")),
            recall5_hi=_float(data.get("recall@5_hi")), target=_float(data.get("target")),
            at_least_target=bool(data.get("at_least_target")),
            reason_blind=tuple(BarRow.from_json(r) for r in data.get("reason_blind") or ()),
            reason_aware=tuple(BarRow.from_json(r) for r in data.get("reason_aware") or ()),
            beats_reason_blind=bool(data.get("beats_reason_blind")),
            not_worse_than_reason_aware=bool(data.get("not_worse_than_reason_aware")),
            met=bool(data.get("met")),
        )

    def to_json(self) -> Json:
        return {"recall@5": self.recall5, "recall@5_lo": self.recall5_lo,
                "recall@5_hi": self.recall5_hi, "target": self.target,
                "at_least_target": self.at_least_target,
                "reason_blind": [r.to_json() for r in self.reason_blind],
                "reason_aware": [r.to_json() for r in self.reason_aware],
                "beats_reason_blind": self.beats_reason_blind,
                "not_worse_than_reason_aware": self.not_worse_than_reason_aware,
                "met": self.met}


@dataclass(frozen=True)
class GroupRate:
    """One group of a fairness attribute (``small``: under 10 onsets, a reference value)."""

    group: str
    n: int
    events: int
    listed: int
    recall: float | None
    fpr: float | None
    precision: float | None
    listing_rate: float | None
    small: bool

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> GroupRate:
        return GroupRate(str(data["group"]), _int(data.get("n")), _int(data.get("events")),
                         _int(data.get("listed")), _float(data.get("recall")),
                         _float(data.get("fpr")), _float(data.get("precision")),
                         _float(data.get("listing_rate")), bool(data.get("small")))

    def to_json(self) -> Json:
        return {"group": self.group, "n": self.n, "events": self.events, "listed": self.listed,
                "recall": self.recall, "fpr": self.fpr, "precision": self.precision,
                "listing_rate": self.listing_rate, "small": self.small}


@dataclass(frozen=True)
class AttributeAudit:
    """The groups of one attribute (性別, 学年 …) and the gaps between them."""

    groups: tuple[GroupRate, ...]
    recall_gap: float | None
    fpr_gap: float | None
    fpr_ratio: float | None

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> AttributeAudit:
        return AttributeAudit(tuple(GroupRate.from_json(g) for g in data.get("groups") or ()),
                              _float(data.get("recall_gap")), _float(data.get("fpr_gap")),
                              _float(data.get("fpr_ratio")))

    def to_json(self) -> Json:
        return {"groups": [g.to_json() for g in self.groups], "recall_gap": self.recall_gap,
                "fpr_gap": self.fpr_gap, "fpr_ratio": self.fpr_ratio}


@dataclass(frozen=True)
class Horizon:
    """A ranking judged on onsets within three months."""

    label: str
    recall5: Interval | None
    precision5: Interval | None
    auc: float | None
    pr_auc: float | None
    brier: float | None

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Horizon:
        return Horizon(str(data.get("label", "")), Interval.from_json(data.get("recall@5")),
                       Interval.from_json(data.get("precision@5")), _float(data.get("auc")),
                       _float(data.get("pr_auc")), _float(data.get("brier")))

    def to_json(self) -> Json:
        return {"label": self.label, "recall@5": _interval_json(self.recall5),
                "precision@5": _interval_json(self.precision5), "auc": self.auc,
                "pr_auc": self.pr_auc, "brier": self.brier}


@dataclass(frozen=True)
class Choice:
    """Whether the lists use the model or the best reason-aware simple ranking (keys of
    the grid's candidates; the scores they were compared on)."""

    selected: str
    model: str
    simple: str | None
    simple_chosen: bool
    compared_on: str | None = None
    model_score: float | None = None
    simple_score: float | None = None

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Choice:
        simple = data.get("simple")
        return Choice(str(data.get("selected", "")), str(data.get("model", "")),
                      None if simple is None else str(simple),
                      bool(data.get("simple_chosen")),
                      None if data.get("compared_on") is None else str(data["compared_on"]),
                      _float(data.get("model_score")), _float(data.get("simple_score")))

    def to_json(self) -> Json:
        out: Json = {"selected": self.selected, "model": self.model, "simple": self.simple}
        if self.compared_on is not None:  # (absent when there was no simple ranking)
            out |= {"compared_on": self.compared_on, "model_score": self.model_score,
                    "simple_score": self.simple_score}
        out["simple_chosen"] = self.simple_chosen
        return out


@dataclass(frozen=True)
class Evaluation:
    """The held-out evaluation of the model beside the simple rankings."""

    test_year: int
    months: tuple[SchoolMonth, ...]  # the list months evaluated (JSON: ``YYYY-MM`` texts)
    rows: int
    events: int
    train_rows: int
    train_events: int
    schools: int
    n_boot: int
    n_boot_ranking: int
    config: ModelConfig  # the evaluated model
    baselines: Mapping[str, str]  # key → name of each simple ranking
    scorings: Mapping[str, Scoring]  # ``MODEL`` first, then the baselines
    differences: Mapping[str, Interval | None]  # "recall@k:<baseline>" → model − baseline
    bar: Bar | None
    fairness: Mapping[str, Mapping[str, AttributeAudit]]  # ranking → attribute → audit
    horizon3: Mapping[str, Horizon]
    choice: Choice | None = None  # (set by the development; absent from a bare evaluation)

    @property
    def model(self) -> Scoring | None:
        return self.scorings.get(MODEL)

    def difference(self, k: int, baseline: str) -> Interval | None:
        return self.differences.get(f"recall@{k}:{baseline}")

    @property
    def simple_chosen(self) -> bool:
        return self.choice is not None and self.choice.simple_chosen

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Evaluation:
        """A report as stored (every version written so far)."""
        bar = data.get("bar")
        choice = data.get("choice")
        return Evaluation(
            test_year=int(data["test_year"]),
            months=tuple(SchoolMonth.parse(str(m)) for m in data.get("months") or ()),
            rows=_int(data.get("rows")), events=_int(data.get("events")),
            train_rows=_int(data.get("train_rows")),
            train_events=_int(data.get("train_events")),
            schools=_int(data.get("schools")), n_boot=_int(data.get("n_boot")),
            n_boot_ranking=_int(data.get("n_boot_ranking")),
            config=ModelConfig.from_json(dict(data["config"])),
            baselines={str(k): str(v) for k, v in (data.get("baselines") or {}).items()},
            scorings={str(k): Scoring.from_json(v)
                      for k, v in (data.get("scorings") or {}).items()},
            differences={str(k): Interval.from_json(v)
                         for k, v in (data.get("differences") or {}).items()},
            bar=Bar.from_json(bar) if bar else None,
            fairness={str(name): {str(a): AttributeAudit.from_json(v)
                                  for a, v in by_attribute.items()}
                      for name, by_attribute in (data.get("fairness") or {}).items()},
            horizon3={str(k): Horizon.from_json(v)
                      for k, v in (data.get("horizon3") or {}).items()},
            choice=Choice.from_json(choice) if choice else None,
        )

    def to_json(self) -> Json:
        out: Json = {
            "test_year": self.test_year, "months": [str(m) for m in self.months], "rows": self.rows,
            "events": self.events, "train_rows": self.train_rows,
            "train_events": self.train_events, "schools": self.schools,
            "n_boot": self.n_boot, "n_boot_ranking": self.n_boot_ranking,
            "config": self.config.to_json(), "baselines": dict(self.baselines),
            "scorings": {k: s.to_json() for k, s in self.scorings.items()},
            "differences": {k: _interval_json(v) for k, v in self.differences.items()},
            "bar": None if self.bar is None else self.bar.to_json(),
            "fairness": {name: {a: v.to_json() for a, v in by_attribute.items()}
                         for name, by_attribute in self.fairness.items()},
            "horizon3": {k: h.to_json() for k, h in self.horizon3.items()},
        }
        if self.choice is not None:
            out["choice"] = self.choice.to_json()
        return out
