"""The truancy-risk service: train, evaluate, score monthly lists, alerts with reasons and
their status history, factor analysis and survey-domain judgments — each within the map.

Who may do what:

- training, evaluation, model card and factor analysis need the "analysis" function;
- alerts (lists with pupils, reasons, status marking, a pupil's explanation) are for roles
  with the "alerts" function that may view and see the truancy-related datasets (monthly
  attendance and the long-absence survey) — by default the truancy-support staff and the
  project lead, as issue 6 names them; the project lead can grant it to others;
- scoring a month needs either; the reasons of listed pupils go only to alert roles, their
  宛名番号 only to alert roles that also have "export" (it is the key for matching a list
  with other systems; the screen names pupils by 氏名・学年・組), and a file of the lists
  needs the "export" function (its format: ``alert_csv``);
- an alert names its pupil (氏名, and 学年・組 of the alert's school year) only for alert
  roles that also see the basic registers (pupils and enrollments); the CSV never does;
- a pupil's survey-domain judgments need "view" and the survey dataset.

Reasons are stored with the dataset each comes from and shown only for datasets the viewer
may see. Every call is audit-logged (with the pupil where one is concerned). Risk is shown as
a band (高/中/低) with its reasons; probabilities never leave this service.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.common import Cancelled, NotEnoughData, Steps
from analysis.factors import FactorReport, factor_analysis, to_jsonable
from analysis.risk import (
    FEATURE_BY_KEY,
    FittedModel,
    ModelConfig,
    RiskInputs,
    audit_groups,
    build_frame,
    candidate_grid,
    demo_grid,
    develop,
    evaluate_holdout,
    feature_kinds,
    json_ready,
    model_card,
    score_month,
    small_grid,
    split_years,
)
from analysis.risk.bands import BAND_TEXT
from analysis.risk.explain import HIDDEN_NOTE, NO_REASON
from analysis.risk.panel import compact_inputs
from analysis.risk.report import Evaluation
from analysis.wareki import format_school_year
from kernel.date_style import DateStyle
from kernel.progress import CancelFlag, Progress
from kernel.school_calendar import SchoolMonth
from storage import placement
from storage.connection import Connection, transaction
from storage.repos import accounts as accounts_repo
from storage.repos import datasets as datasets_repo
from storage.repos import factor_inputs
from storage.repos import risk as repo
from toda_desktop import heap
from toda_desktop.context import ServiceContext
from toda_desktop.errors import NoModelYet, OperationCancelled, PermissionDenied, UserFacingError
from toda_desktop.export_files import ExportResult, check_output_path, target_path
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import ALERT_BANDS, ALERT_LIST, ExportSpec
from toda_desktop.export_purpose.check import Authorization, authorize, release, require_right
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.formatting import format_datetime, format_month
from toda_desktop.risk import alert_csv
from toda_desktop.risk.factor_reports import KeptFactors, keep_report, kept_report
from toda_desktop.risk.factor_reports import data_version as factor_data_version
from toda_desktop.risk.factor_tables import factor_table
from toda_desktop.risk.frames import read_frames
from toda_desktop.risk.months import listable_text
from toda_desktop.risk.survey_domains import SurveyDomains, survey_domains
from toda_desktop.search.former import former_among, require_not_former, sees_former

ALERT_STATUSES = repo.ALERT_STATUSES
ALERT_KINDS = ("attendance_monthly", "long_absence")
# The kinds whose groups' files keep the models and alerts (attendance) and the kept 要因分析
# reports (survey), and those a factor analysis draws on (store format 2, issue 12).
MODEL_HOME = ("attendance_monthly",)
FACTOR_KINDS = ("attendance_monthly", "enrollments", "survey_responses", "academic_results",
                "students")
LIST_SIZE = 5  # pupils per school in the lists the window shows
# Dataset kinds of the registry behind each input table of the model.
INPUT_KIND = {
    "attendance_monthly": "attendance",
    "enrollments": "enrollments",
    "schools": "schools",
    "long_absence": "long_absence",
    "health_room_visits": "health_room",
    "consultations": "consultations",
    "survey_responses": "survey",
    "academic_results": "academic",
}
ALWAYS = ("attendance", "enrollments", "schools", "long_absence")
# Dataset kind behind each attribute of the fairness audit (shown only to roles that see it).
AUDIT_SOURCES = {
    "性別": "students", "就学援助": "students", "学年": "enrollments", "校種": "schools",
    "特別支援学級": "enrollments", "日本語指導": "enrollments",
    "学校の就学援助率": "school_context",
}


@dataclass(frozen=True)
class TrainResult:
    model_id: int
    config_label: str
    grid_size: int
    grid_seconds: float
    seconds: float
    evaluation: Evaluation
    card: str


@dataclass(frozen=True)
class ModelInfo:
    id: int
    created_at: datetime | None  # (None only for a time the store could not read)
    created_by: str
    data_version: str
    config_label: str
    evaluation: Evaluation | None  # None for a model stored without one
    card: str
    data_extent: str = ""  # "取込番号 #N までのM件の取込" (models trained before: empty)
    config_name: str = ""  # the label without the settings (名前: family and features)
    config_settings: str = ""  # the hyperparameters in words (empty for a simple ranking)

    @property
    def simple_chosen(self) -> bool:
        """Whether the lists use a simple ranking instead of the model."""
        return self.evaluation is not None and self.evaluation.simple_chosen


@dataclass(frozen=True)
class Reevaluation:
    """The stored model's configuration evaluated again on the current data."""

    evaluation: Evaluation
    model_id: int
    data_version: str  # of the data it was evaluated on now
    trained_on_data_version: str

    @property
    def data_changed(self) -> bool:
        """Whether the data changed since the model was trained."""
        return self.data_version != self.trained_on_data_version


@dataclass(frozen=True)
class Alert:
    id: int
    month: SchoolMonth
    school_code: str
    school_name: str
    pupil_id: int | None  # None for roles that may not see who is listed
    address_code: str | None
    rank: int
    band: str
    band_text: str
    reasons: tuple[str, ...]
    status: str | None
    note: str | None
    # Who the pupil is, for alert roles that see the basic registers (None otherwise; 学年・組
    # also None when the pupil has no enrollment in the alert's school year).
    name: str | None = None
    grade: int | None = None
    class_name: str | None = None


@dataclass(frozen=True)
class ScoreResult:
    month: SchoolMonth
    model_id: int
    alerts: tuple[Alert, ...]
    with_ids: bool
    added: int


@dataclass(frozen=True)
class Withdrawal:
    """Why, by whom and when a wrong mark was withdrawn (the mark itself is kept)."""

    reason: str
    by: str
    at: datetime | None


@dataclass(frozen=True)
class StatusEntry:
    status: str
    note: str
    by: str
    at: datetime | None  # (None only for a time the store could not read)
    withdrawn: Withdrawal | None = None  # corrected: no longer in force (issue 16)


@dataclass(frozen=True)
class PupilRisk:
    month: SchoolMonth
    band: str
    band_text: str
    reasons: tuple[str, ...]
    status: str | None


@dataclass(frozen=True)
class KarteRisk:
    """Where a pupil stands in the lists, for the karte: not being on a list is not an
    all-clear, so the karte says which list (month, at most ``top`` per school) it means."""

    list_month: SchoolMonth | None  # the newest month lists were made for (None: none yet)
    top: int  # each school's list of that month holds at most this many pupils
    latest: PupilRisk | None  # the pupil's most recent listing, in any month

    @property
    def on_latest_list(self) -> bool:
        return self.latest is not None and self.latest.month == self.list_month


def _staff_name(login_id: str, staff: dict[str, str]) -> str:
    """「氏名（ログインID）」 of who marked an alert (the ID alone for a removed account)."""
    name = staff.get(login_id)
    return f"{name}（{login_id}）" if name else login_id


def _withdrawal(row: repo.StatusRow, staff: dict[str, str]) -> Withdrawal | None:
    if row.withdrawn_by is None:
        return None
    return Withdrawal(row.withdrawn_reason or "", _staff_name(row.withdrawn_by, staff),
                      _moment(row.withdrawn_at or ""))


def _moment(text: str) -> datetime | None:
    """A stored ISO time (the pages write it in their date style)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _inputs(frames: dict[str, pd.DataFrame]) -> RiskInputs:
    if "attendance" not in frames or frames["attendance"].empty:
        raise UserFacingError("出欠状況（月次）のデータがありません。先に取り込んでください。")
    empty_schools = pd.DataFrame({"school_code": pd.Series([], dtype=object),
                                  "school_type": pd.Series([], dtype=object)})
    return compact_inputs(RiskInputs(
        attendance=frames["attendance"],
        enrollments=frames.get("enrollments", pd.DataFrame(
            columns=["pupil_id", "school_year", "school_code", "grade"])),
        schools=frames.get("schools", empty_schools),
        long_absence=frames.get("long_absence"),
        health_room=frames.get("health_room"),
        consultations=frames.get("consultations"),
        survey=frames.get("survey"),
        academic=frames.get("academic"),
        pupils=frames.get("pupils"),
        school_context=frames.get("school_context"),
    ))


def _cancelled(fn: Callable[[], Any]) -> Any:
    """Run an analysis: its cancel becomes OperationCancelled, data that cannot support it a
    Japanese UserFacingError (the analysis says what is missing); anything else is a defect
    and goes to the error dialog as it is."""
    try:
        return fn()
    except Cancelled:
        raise OperationCancelled() from None
    except NotEnoughData as exc:
        raise UserFacingError(str(exc)) from None


class RiskService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # -- permissions ----------------------------------------------------------------------

    @property
    def _actor(self) -> str:
        return self._ctx.actor.login_id

    def _deny(self, target: str, message: str) -> PermissionDenied:
        self._ctx.log("permission_denied", outcome="denied",
                      target=target)
        return PermissionDenied(message)

    def may_see_alerts(self) -> bool:
        """Whether this role sees alerts: "alerts", "view" and the truancy-related datasets."""
        ctx = self._ctx
        return (ctx.gate.may("alerts") and ctx.gate.may("view")
                and all(ctx.gate.sees(k) for k in ALERT_KINDS))

    def may_see_survey_domains(self) -> bool:
        """Whether this role sees a pupil's survey-domain judgments (the survey dataset)."""
        return self._ctx.gate.sees("survey_responses")

    def list_months(self) -> list[SchoolMonth]:
        """Months a list can be made for, oldest first: each month after one with attendance
        data (the list for a month uses data up to the end of the month before)."""
        if not (self.may_see_alerts() or self._ctx.gate.may("analysis")):
            raise self._deny("risk_months", "不登校の早期把握の一覧を作成する権限がありません。")
        return [month.next() for month in self._ctx.db.call(repo.attendance_months)]

    def school_years(self) -> list[int]:
        """School years with monthly attendance (for the factor analysis year picker)."""
        self._ctx.gate.require("analysis")
        return list(self._ctx.db.call(repo.school_years))

    def _may_see_names(self) -> bool:
        """Whether alerts name their pupils: alert roles that see the basic registers."""
        ctx = self._ctx
        return self.may_see_alerts() and all(
            ctx.gate.sees(k) for k in ("students", "enrollments"))

    def _may_see_address_codes(self) -> bool:
        """Whether alerts carry 宛名番号: it is the key for matching a list with other
        systems, needed only where a list leaves the store, so alert roles with "export"
        that see the register (ID_VISIBILITY); the screen names pupils by 氏名・学年・組."""
        ctx = self._ctx
        return self.may_see_alerts() and ctx.gate.may("export") and ctx.gate.sees("students")

    def _require_alerts(self, target: str = "risk_alerts") -> None:
        if not self.may_see_alerts():
            raise self._deny(target, "不登校の早期把握アラートを扱う権限がありません。")

    def _visible_kinds(self) -> frozenset[str]:
        return frozenset(k.name for k in self._ctx.gate.visible_kinds())

    # -- data -------------------------------------------------------------------------------

    def _audit_attributes(self) -> frozenset[str]:
        """Fairness-audit attributes whose data this role may see."""
        return frozenset(a for a, kind in AUDIT_SOURCES.items() if self._ctx.gate.sees(kind))

    def _audit(self, frame: pd.DataFrame, inputs: RiskInputs) -> pd.DataFrame:
        groups = audit_groups(frame, inputs)
        allowed = self._audit_attributes()
        return groups[[c for c in groups.columns if c in allowed]]

    def _visible_evaluation(self, evaluation: Evaluation) -> Evaluation:
        """A stored evaluation as this viewer may see it (fairness attributes filtered)."""
        if not evaluation.fairness:
            return evaluation
        allowed = self._audit_attributes()
        shown = {name: {a: v for a, v in by_attr.items() if a in allowed}
                 for name, by_attr in evaluation.fairness.items()}
        return replace(evaluation, fairness=shown)

    def _read(self, kinds: Iterable[str], years: tuple[int, int] | None = None) -> RiskInputs:
        wanted = tuple(kinds)
        here = tuple(k for k in wanted if k not in repo.OTHER_LANE)
        frames = self._ctx.db.read(lambda c: read_frames(c, here, years))
        for panel, kind in repo.OTHER_LANE.items():  # each on its own lane (issue 12)
            if panel in wanted:
                frames.update(self._ctx.db.read(
                    functools.partial(read_frames, kinds=(panel,), years=years), kind=kind))
        return _inputs(frames)

    def _data_version(self) -> str:
        return str(self._ctx.db.call(repo.data_version))

    def _require_keys(self, kinds: Iterable[str], what: str) -> None:
        """Refuse, saying which, when the role sees one of ``kinds`` but the account does
        not hold its group's key (issue 12): its tables, and what is kept beside them (the
        models, the kept reports), are not attached."""
        wanted = set(kinds)
        withheld = [k.label for k in self._ctx.gate.withheld_kinds() if k.name in wanted]
        if withheld:
            raise UserFacingError(f"{what}に必要なデータ（{'、'.join(withheld)}）の鍵を"
                                  "お持ちでないため、実行できません。")

    def _require_inputs(self, inputs: set[str], what: str) -> None:
        """A model is trained, evaluated and scored only on every input it reads: without a
        group whose key the account lacks it would rank on part of the data (issue 12)."""
        ctx = self._ctx
        needed = [ctx.registry.kind(k) for k, name in INPUT_KIND.items()
                  if name in inputs and k in ctx.registry.names]
        missing = ctx.db.call(lambda c: [k.label for k in needed
                                         if not placement.has_table(c, k.table)])
        if missing:
            raise UserFacingError(
                f"予測モデルは{'、'.join(missing)}のデータも使います。その鍵をお持ちでないため、"
                f"{what}はできません。鍵をお持ちの方に依頼してください。")

    def _model_row(self, model_id: int | None) -> repo.ModelRow:
        self._require_keys(MODEL_HOME, "予測モデル")
        def get(conn: Connection) -> repo.ModelRow | None:
            return repo.latest_model(conn) if model_id is None else repo.get_model(conn, model_id)

        row = self._ctx.db.call(get)
        if row is None:
            raise NoModelYet()
        return row

    def _load_model(self, row: repo.ModelRow) -> FittedModel:
        blob = self._ctx.db.call(lambda c: repo.model_blob(c, row.id))
        return FittedModel.from_bytes(blob)

    # -- training and evaluation ------------------------------------------------------------

    def train(
        self,
        *,
        quick: bool = False,
        demo: bool = False,
        seed: int = 0,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> TrainResult:
        """Run the candidate grid, select, evaluate on the held-out last year, store the model.

        ``quick`` uses a handful of candidates instead of the full grid (trials, tests);
        ``demo`` the quick grid without its slowest candidate (the demo city's first model,
        ``init --demo``; the card names the families compared)."""
        ctx = self._ctx
        ctx.gate.require("analysis")
        self._require_keys(MODEL_HOME, "予測モデルの学習")
        self._require_inputs(set(repo.PANEL_KINDS), "学習")
        steps = Steps(progress, cancel)

        def run() -> TrainResult:
            steps.report(0.0)
            heap.fix_mmap_threshold()  # the grid starts without the features' dead arrays
            inputs = self._read(repo.PANEL_KINDS)
            heap.trim()  # the chunks' rows, freed (about 80 MB for a city)
            version = self._data_version()
            last_batch, batches = ctx.db.call(repo.data_extent)
            frame = build_frame(inputs, progress=steps.part(0.02, 0.08).callback(),
                                cancel=cancel)
            audit = self._audit(frame, inputs)
            del inputs  # the grid needs only the frame (and the audit groups)
            heap.trim()
            grid = demo_grid() if demo else small_grid() if quick else candidate_grid()
            dev = develop(frame, grid=grid, audit=audit, seed=seed,
                          progress=steps.part(0.08, 0.98).callback(), cancel=cancel)
            years = sorted(set(frame["school_year"].tolist()))
            facts = {
                "created_at": format_datetime(ctx.clock(), DateStyle.WAREKI),
                "created_by": ctx.actor.display_name,
                "data_version": version,
                "data_extent": f"取込番号 #{last_batch} までの{batches:,}件の取込",
                "period": (f"{format_school_year(years[0], DateStyle.WAREKI)}〜"
                           f"{format_school_year(years[-1], DateStyle.WAREKI)}"
                           f"（{years[0]}〜{years[-1]}年度）"),
                "pupils": int(frame["pupil_id"].nunique()),
                "grid_size": len(grid),
                "families": sorted({c.family for c in grid if not c.is_baseline}),
                "grid_seconds": dev.grid.seconds,
                "selection_years": dev.selection_years,
                "selection": dev.selection_row(dev.choice.get("model")),
                "regret": dev.regret,
                # Whether the lists use the model or, when the model did not at least match
                # it, the best reason-aware simple ranking (the card says which and why).
                "choice": dev.choice,
                "model_config": (dev.model_config or dev.config).to_json(),
                "seed": seed,
            }
            evaluation = Evaluation.from_json(dev.evaluation)
            card = model_card(facts, evaluation)
            metrics = {"evaluation": evaluation.to_json(),
                       "grid": json_ready({"summary": dev.grid.summary.to_dict("records")})}

            def write(conn: Connection) -> int:
                with transaction(conn):
                    return repo.insert_model(
                        conn, created_by=self._actor, data_version=version,
                        config_json=json.dumps(dev.config.to_json(), ensure_ascii=False),
                        metrics_json=json.dumps(metrics, ensure_ascii=False),
                        card_json=json.dumps({"markdown": card, "facts": json_ready(facts)},
                                             ensure_ascii=False),
                        model=dev.model.to_bytes(), at=ctx.clock(),
                    )

            model_id = int(ctx.db.call(write))
            steps.report(1.0)
            return TrainResult(model_id, dev.config.label, len(grid), dev.grid.seconds,
                               dev.seconds, evaluation, card)

        try:
            result: TrainResult = _cancelled(run)
        except OperationCancelled:
            ctx.log("risk_train", outcome="cancelled")
            raise
        bar = result.evaluation.bar
        aware = [r.recall5 for r in bar.reason_aware if r.recall5 is not None] if bar else []
        ctx.log("risk_train", target=f"risk_model:{result.model_id}",
                detail={"config": result.config_label, "grid": result.grid_size,
                                    "recall@5": bar.recall5 if bar else None,
                                    # The best reason-aware simple ranking's (the config
                                    # label says when the lists use it instead of a model).
                                    "baseline_recall@5": max(aware, default=None)})
        return result

    def model_info(self, model_id: int | None = None) -> ModelInfo:
        self._ctx.gate.require("analysis")
        row = self._model_row(model_id)
        metrics = json.loads(row.metrics_json)
        card = json.loads(row.card_json)
        config = ModelConfig.from_json(json.loads(row.config_json))
        self._ctx.log("risk_model_view", target=f"risk_model:{row.id}")
        staff = self._ctx.db.call(accounts_repo.display_names)
        stored = metrics.get("evaluation")
        evaluation = self._visible_evaluation(Evaluation.from_json(stored)) if stored else None
        # The card is written again for this viewer: its fairness table shows only what they
        # may see (the stored text shows what the person who trained the model could see).
        facts = card.get("facts")
        text = (model_card(facts, evaluation) if facts and evaluation is not None
                else str(card.get("markdown", "")))
        return ModelInfo(row.id, _moment(row.created_at), _staff_name(row.created_by, staff),
                         row.data_version, config.label, evaluation, text,
                         str((facts or {}).get("data_extent", "")), config.name,
                         config.settings)

    def evaluate(
        self,
        *,
        model_id: int | None = None,
        n_boot: int = 1000,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> Reevaluation:
        """Re-run the held-out evaluation of the stored model's configuration on the current
        data (the model and the baselines fitted on earlier years, tested on the last). When
        the lists use a simple ranking, the model it was chosen over is evaluated as "model"."""
        ctx = self._ctx
        ctx.gate.require("analysis")
        row = self._model_row(model_id)
        self._require_inputs(set(repo.PANEL_KINDS), "評価")
        facts = json.loads(row.card_json).get("facts") or {}
        config = ModelConfig.from_json(facts.get("model_config")
                                       or json.loads(row.config_json))
        steps = Steps(progress, cancel)

        def run() -> Evaluation:
            inputs = self._read(repo.PANEL_KINDS)
            frame = build_frame(inputs, progress=steps.part(0.0, 0.2).callback(), cancel=cancel)
            _, holdout = split_years(frame)
            report = evaluate_holdout(frame, config, holdout, audit=self._audit(frame, inputs),
                                      n_boot=n_boot, progress=steps.part(0.2, 1.0).callback(),
                                      cancel=cancel)
            return Evaluation.from_json(json_ready(report))

        evaluation: Evaluation = _cancelled(run)
        result = Reevaluation(evaluation, row.id, self._data_version(), row.data_version)
        ctx.log("risk_evaluate", target=f"risk_model:{row.id}",
                detail={"test_year": evaluation.test_year,
                        "recall@5": evaluation.bar.recall5 if evaluation.bar else None})
        return result

    # -- scoring and alerts -----------------------------------------------------------------

    def score(
        self,
        month: SchoolMonth,
        *,
        top: int = 5,
        model_id: int | None = None,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> ScoreResult:
        """The lists for use during ``month``, from data up to the end of the month before;
        stored as that month's alerts. A month not in :meth:`list_months` is refused with
        the months that can be listed."""
        ctx = self._ctx
        with_ids = self.may_see_alerts()
        if not with_ids and not ctx.gate.may("analysis"):
            raise self._deny("risk_score", "不登校の早期把握の一覧を作成する権限がありません。")
        if not 1 <= top <= 50:
            raise UserFacingError("一覧の人数は1〜50人で指定してください。")
        list_year, offset = month.school_year, month.offset
        row = self._model_row(model_id)
        months = self.list_months()
        if month not in months:
            raise UserFacingError(
                f"{format_month(month)}の一覧は作れません。"
                f"一覧は出欠のデータがある月の翌月について作れます。作れる月: "
                f"{listable_text(months)}")
        model = self._load_model(row)
        feature_year = list_year - 1 if offset == 0 else list_year
        kinds = set(ALWAYS) | {INPUT_KIND[k] for k in feature_kinds(model.features)
                               if k in INPUT_KIND}
        self._require_inputs(kinds, "一覧の作成")
        steps = Steps(progress, cancel)

        def run() -> pd.DataFrame:
            inputs = self._read(sorted(kinds), (feature_year - 1, feature_year))
            steps.report(0.4)
            return score_month(model, inputs, list_year, offset, k=top,
                               progress=steps.part(0.4, 0.95).callback(), cancel=cancel)

        lists: pd.DataFrame = _cancelled(run)
        listed = lists[lists["rank"] <= top]
        rows = [
            (int(pid), str(school), int(rank), str(band),
             json.dumps([{"text": x.text, "feature": x.feature,
                          "source": FEATURE_BY_KEY[x.feature].source}
                         for x in reasons], ensure_ascii=False))
            for pid, school, rank, band, reasons in zip(
                listed["pupil_id"].tolist(), listed["school_code"].tolist(),
                listed["rank"].tolist(), listed["band"].tolist(), listed["reasons"].tolist(),
                strict=True)
        ]

        def write(conn: Connection) -> int:
            with transaction(conn):
                return repo.insert_alerts(conn, month, row.id, rows, at=ctx.clock())

        added = int(ctx.db.call(write))
        alerts = self._alerts_for(month, row.id, top, with_ids)
        ctx.log("risk_score", target=f"risk_alerts:{month}",
                detail={"model_id": row.id, "alerts": len(alerts), "top": top,
                                    "with_ids": with_ids})
        steps.report(1.0)
        return ScoreResult(month, row.id, tuple(alerts), with_ids, added)

    def _alerts_for(self, month: SchoolMonth, model_id: int, top: int,
                    with_ids: bool) -> list[Alert]:
        ctx = self._ctx
        visible = self._visible_kinds()

        with_names = with_ids and self._may_see_names()
        with_codes = with_ids and self._may_see_address_codes()
        school_year = month.school_year

        hide_former = with_ids and not sees_former(ctx)

        def read(conn: Connection) -> tuple[list[repo.AlertRow], dict[int, str], dict[str, str],
                                            dict[int, repo.PupilNames]]:
            rows = repo.alerts_for_month(conn, month, model_id, top)
            if hide_former:  # pupils who have left since: as search and the karte (issue 13)
                gone = former_among(conn, (r.pupil_id for r in rows))
                rows = [r for r in rows if r.pupil_id not in gone]
            pids = [r.pupil_id for r in rows]
            codes = repo.address_codes(conn, pids) if with_codes else {}
            pupils = repo.pupil_names(conn, pids, school_year) if with_names else {}
            return rows, codes, datasets_repo.school_names(conn), pupils

        rows, codes, names, pupils = ctx.db.call(read)
        return [self._alert(r, codes, names, visible, with_ids, pupils) for r in rows]

    @staticmethod
    def _reasons(reasons_json: str, visible: frozenset[str]) -> tuple[str, ...]:
        reasons = json.loads(reasons_json)
        shown = [r["text"] for r in reasons if r.get("source") in visible]
        out = shown or [NO_REASON]
        if len(shown) < len(reasons):
            out.append(HIDDEN_NOTE)
        return tuple(out)

    def _alert(self, r: repo.AlertRow, codes: dict[int, str], names: dict[str, str],
               visible: frozenset[str], with_ids: bool,
               pupils: dict[int, repo.PupilNames] | None = None) -> Alert:
        pupil = (pupils or {}).get(r.pupil_id) if with_ids else None
        return Alert(
            id=r.id, month=r.month, school_code=r.school_code,
            school_name=names.get(r.school_code, r.school_code),
            pupil_id=r.pupil_id if with_ids else None,
            address_code=codes.get(r.pupil_id) if with_ids else None,
            rank=r.rank, band=r.band, band_text=BAND_TEXT[r.band],
            # A ranked list with per-child reasons can identify a child in a small school:
            # roles without alert rights get the lists without them (and without who).
            reasons=self._reasons(r.reasons_json, visible) if with_ids else (),
            status=r.status, note=r.note,
            name=pupil.name if pupil else None,
            grade=pupil.grade if pupil else None,
            class_name=pupil.class_name if pupil else None,
        )

    def alerts(self, month: SchoolMonth, *, top: int = 5) -> list[Alert]:
        """The alert screen: the month's lists (latest model that scored it)."""
        ctx = self._ctx
        self._require_alerts()
        model_id = ctx.db.call(lambda c: repo.latest_scoring_model(c, month))
        alerts = [] if model_id is None else self._alerts_for(month, model_id, top, True)
        # With the model, the entry names exactly which list (and so which pupils) was shown:
        # the stored alerts of (month, model) are kept.
        ctx.log("risk_alerts_view", target=f"risk_alerts:{month}",
                detail={"alerts": len(alerts), "model_id": model_id,
                        **({} if sees_former(ctx) else {"former_pupils": "left_out"})})
        return alerts

    def _require_not_former(self, alert_id: int, action: str) -> None:
        """An alert of a pupil who has left, asked for by id by a role without the map's
        ``former_pupils``: refused (logged) as the karte refuses the pupil."""
        ctx = self._ctx
        if sees_former(ctx):
            return
        alert = ctx.db.call(lambda c: repo.get_alert(c, alert_id))
        if alert is not None:
            require_not_former(ctx, alert.pupil_id, action)

    def mark_alert(self, alert_id: int, status: str, note: str = "") -> None:
        """The human step: 確認済み / 見守り / 支援開始 / 対象外, with a note (history kept)."""
        ctx = self._ctx
        self._require_alerts("risk_alert_mark")
        self._require_not_former(alert_id, "risk_alert_mark")
        if status not in ALERT_STATUSES:
            raise UserFacingError("状態は " + "・".join(ALERT_STATUSES) + " のいずれかです。")
        if len(note) > 2000:
            raise UserFacingError("メモは2000文字以内で入力してください。")

        def write(conn: Connection) -> int:
            with transaction(conn):
                alert = repo.get_alert(conn, alert_id)
                if alert is None:
                    raise KeyError(alert_id)
                repo.add_status(conn, alert_id, status, note, self._actor, at=ctx.clock())
                return alert.pupil_id

        try:
            pupil_id = ctx.db.call(write)
        except KeyError:
            raise UserFacingError("そのアラートは見つかりません。") from None
        ctx.log("risk_alert_mark", target=f"risk_alert:{alert_id}",
                pupil_id=pupil_id, detail={"status": status})

    def correct_alert_mark(self, alert_id: int, reason: str, status: str | None = None,
                           note: str = "") -> None:
        """Withdraw the listing's mark in force as wrong (kept in the history with ``reason``,
        who and when), then record ``status`` in its place (None: the mark before it, if
        any, stands again; else the alert is unmarked)."""
        ctx = self._ctx
        self._require_alerts("risk_alert_mark")
        self._require_not_former(alert_id, "risk_alert_mark_corrected")
        reason = reason.strip()
        if not reason:
            raise UserFacingError("訂正の理由を入力してください。")
        if len(reason) > 2000 or len(note) > 2000:
            raise UserFacingError("理由とメモは2000文字以内で入力してください。")
        if status is not None and status not in ALERT_STATUSES:
            raise UserFacingError("状態は " + "・".join(ALERT_STATUSES) + " のいずれかです。")

        def write(conn: Connection) -> tuple[int, str]:
            with transaction(conn):
                alert = repo.get_alert(conn, alert_id)
                if alert is None:
                    raise KeyError(alert_id)
                wrong = repo.mark_in_force(conn, alert_id)
                if wrong is None:
                    raise UserFacingError("訂正する記録がありません（まだ記録されていません）。")
                at = ctx.clock()
                repo.withdraw_mark(conn, wrong.id, alert_id, reason, self._actor, at=at)
                if status is not None:
                    repo.add_status(conn, alert_id, status, note, self._actor, at=at)
                return alert.pupil_id, wrong.status

        try:
            pupil_id, withdrawn = ctx.db.call(write)
        except KeyError:
            raise UserFacingError("そのアラートは見つかりません。") from None
        ctx.log("risk_alert_mark_corrected", target=f"risk_alert:{alert_id}",
                pupil_id=pupil_id, detail={"withdrawn": withdrawn, "status": status})

    def alert_history(self, alert_id: int) -> list[StatusEntry]:
        ctx = self._ctx
        self._require_alerts()
        self._require_not_former(alert_id, "risk_alert_history")

        def read(conn: Connection) -> tuple[repo.AlertRow | None, list[repo.StatusRow],
                                            dict[str, str]]:
            return (repo.get_alert(conn, alert_id), repo.status_history(conn, alert_id),
                    accounts_repo.display_names(conn))

        alert, history, staff = ctx.db.call(read)
        if alert is None:
            raise UserFacingError("そのアラートは見つかりません。")
        ctx.log("risk_alert_history", target=f"risk_alert:{alert_id}",
                pupil_id=alert.pupil_id)
        return [StatusEntry(h.status, h.note, _staff_name(h.marked_by, staff),
                            _moment(h.marked_at), _withdrawal(h, staff)) for h in history]

    def explanations(self, pupil_id: int, *, top: int = LIST_SIZE) -> KarteRisk:
        """Where the pupil stands (for the karte): the newest month with lists, how many
        each school's list of that month holds (``top`` or fewer if it was made shorter),
        and the pupil's latest listing within that many places."""
        ctx = self._ctx
        self._require_alerts()
        require_not_former(ctx, pupil_id, "risk_explanations")

        def read(conn: Connection) -> tuple[SchoolMonth | None, int, list[repo.AlertRow]]:
            # As the screen shows a month: the list of the latest model that scored it.
            shown = repo.shown_models(conn)
            if not shown:
                return None, 0, []
            month = max(shown)
            size = repo.list_size(conn, month, shown[month])
            rows = [r for r in repo.alerts_for_pupil(conn, pupil_id)
                    if r.rank <= top and shown.get(r.month) == r.model_id]
            return month, size, rows

        list_month, size, rows = ctx.db.call(read)
        ctx.log("risk_explanations", pupil_id=pupil_id)
        latest = None
        if rows:
            r = rows[0]
            latest = PupilRisk(r.month, r.band, BAND_TEXT[r.band],
                               self._reasons(r.reasons_json, self._visible_kinds()), r.status)
        return KarteRisk(list_month, min(top, size) if size else top, latest)

    # -- export -------------------------------------------------------------------------------

    def _file_content(self, result: ScoreResult) -> alert_csv.Content:
        """What a file of these lists may hold, from the role (never from the caller)."""
        with_ids = result.with_ids and self.may_see_alerts()
        return alert_csv.Content(with_codes=with_ids and self._may_see_address_codes(),
                                 with_reasons=with_ids)

    @staticmethod
    def _file_spec(content: alert_csv.Content) -> ExportSpec:
        """With pupils (宛名番号 or reasons): identifiable; school, order and band only:
        aggregate (``export_aggregate`` suffices, no purpose)."""
        return ALERT_LIST if content.with_codes or content.with_reasons else ALERT_BANDS

    @staticmethod
    def _pupils(alerts: Iterable[Alert]) -> int:
        return len({a.pupil_id for a in alerts if a.pupil_id is not None})

    def _export_logged(self, result: ScoreResult, path: Path, alerts: tuple[Alert, ...],
                       content: alert_csv.Content, write: Callable[[], ExportResult],
                       overwrite: bool, purpose: Purpose | None = None,
                       authorized: Authorization | None = None) -> ExportResult:
        """Logged before the file is written (no file without its entry), its outcome
        after (``export_log``); a path that cannot be written is refused, not logged."""
        return logged_export(self._ctx, self._file_spec(content),
                             target=f"risk_alerts:{result.month}", path=path,
                             rows=len(alerts), write=write, overwrite=overwrite,
                             detail={"with_ids": content.with_codes}, purpose=purpose,
                             pupils=self._pupils(alerts), scope=str(result.month),
                             authorized=authorized)

    def export_alerts(self, result: ScoreResult, path: Path, *, encoding: str = "utf-8-sig",
                      date_style: DateStyle = DateStyle.WAREKI,
                      overwrite: bool = False, purpose: Purpose | None = None) -> ExportResult:
        """The month's lists as one file (CSV, or .xlsx by the suffix) in the format of
        ``alert_csv``: caution lines, Japanese headers, school names, the order within each
        school, 宛名番号 only for roles allowed it. With pupils it is identifiable
        (``purpose``, and above the lead's number of pupils an approval)."""
        ctx = self._ctx
        ctx.gate.require_session("export")  # before reading the result
        content = self._file_content(result)
        require_right(ctx, self._file_spec(content))
        made = ctx.clock()
        return self._export_logged(result, path, result.alerts, content, lambda: (
            alert_csv.write_list(path, result.month, result.alerts, content, encoding=encoding,
                                 date_style=date_style, made=made, overwrite=overwrite)),
            overwrite, purpose)

    def school_file_paths(self, result: ScoreResult, folder: Path,
                          suffix: str = ".csv") -> dict[str, Path]:
        """Each school's file in ``folder`` by school code (for asking before an overwrite)."""
        self._ctx.gate.require_session("export")
        require_right(self._ctx, self._file_spec(self._file_content(result)))
        paths = {}
        for code, alerts in alert_csv.by_school(result.alerts).items():
            name = alert_csv.school_file_name(code, alerts[0].school_name, result.month)
            paths[code] = target_path(folder, name, suffix)
        return paths

    def export_alerts_per_school(self, result: ScoreResult, folder: Path, *,
                                 encoding: str = "utf-8-sig", suffix: str = ".csv",
                                 date_style: DateStyle = DateStyle.WAREKI,
                                 overwrite: bool = False, purpose: Purpose | None = None,
                                 ) -> list[ExportResult]:
        """One file per school in ``folder`` (for each 校長 their own school only), named by
        school code, school name and month; each file logged as an export of its own. An
        existing file (unless ``overwrite``) refuses them all before the first is written.
        The purpose and an approval cover the files together (the pupils of all schools)."""
        ctx = self._ctx
        ctx.gate.require_session("export")
        content = self._file_content(result)
        spec = self._file_spec(content)
        require_right(ctx, spec)
        if not folder.is_dir():
            raise UserFacingError("保存先のフォルダが見つかりません。"
                                  "今あるフォルダを指定してください。")
        made = ctx.clock()
        paths = self.school_file_paths(result, folder, suffix)
        for path in paths.values():
            check_output_path(path, overwrite=overwrite)
        allowed = authorize(ctx, spec, purpose=purpose, pupils=self._pupils(result.alerts),
                            scope=str(result.month), target=f"risk_alerts:{result.month}")
        written: list[ExportResult] = []
        for code, path in paths.items():
            alerts = tuple(a for a in result.alerts if a.school_code == code)
            name = alerts[0].school_name

            def write(path: Path = path, alerts: tuple[Alert, ...] = alerts,
                      name: str = name) -> ExportResult:
                return alert_csv.write_list(path, result.month, alerts, content,
                                            encoding=encoding, date_style=date_style,
                                            made=made, school=name, overwrite=overwrite)

            try:
                written.append(self._export_logged(result, path, alerts, content, write,
                                                   overwrite, authorized=allowed))
            except BaseException:
                if not written:  # no file yet: the approval may be used again
                    release(ctx, allowed)
                raise
        return written

    def alerts_for_terminal(self, result: ScoreResult, purpose: Purpose | None = None
                            ) -> tuple[Alert, ...]:
        """The lists as the command line prints them: standard output can be redirected to a
        file, so it is treated as an identifiable export — without the "export" function or
        without a stated ``purpose`` the pupils are not identified (no 宛名番号, id or
        name); with both (and above the lead's number of pupils an approval) the printout
        is logged with its purpose."""
        ctx = self._ctx
        ctx.gate.require_session("export")  # it asks only ``may`` below: no data question
        if not result.with_ids:
            return result.alerts
        if not ctx.gate.may("export") or purpose is None:
            return tuple(replace(a, pupil_id=None, address_code=None, name=None, grade=None,
                                 class_name=None) for a in result.alerts)
        target = f"risk_alerts:{result.month}"
        allowed = authorize(ctx, ALERT_LIST, purpose=purpose,
                            pupils=self._pupils(result.alerts), scope=str(result.month),
                            target=target)
        ctx.log("export", target=target,
                detail={"rows": len(result.alerts), "file": "(標準出力)",
                        "with_ids": True, **allowed.detail})
        return result.alerts

    # -- factor analysis ----------------------------------------------------------------------

    def factor_analysis(
        self,
        school_year: int | None = None,
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> FactorReport:
        """Single regressions and double-lasso estimates of absence on survey domains and
        academic level, adjusted for grade, school, sex, special needs and Japanese support."""
        return self.run_factor_analysis(school_year, progress=progress, cancel=cancel).report

    def _factor_year(self, school_year: int | None) -> int:
        years = self._ctx.db.call(repo.school_years)
        if not years:
            raise UserFacingError("出欠状況（月次）のデータがありません。")
        year = years[-1] if school_year is None else int(school_year)
        if year not in years:
            raise UserFacingError(f"{year}年度の出欠データがありません。")
        return year

    def kept_factor_analysis(self, school_year: int | None = None) -> KeptFactors | None:
        """The year's last factor analysis if the data have not changed since (else None:
        the page offers to run it)."""
        ctx = self._ctx
        ctx.gate.require("analysis")
        self._require_keys(FACTOR_KINDS, "要因分析")
        year = self._factor_year(school_year)
        kept = kept_report(ctx.db, year)
        if kept is not None:
            ctx.log("risk_factors", target=f"factors:{year}",
                    detail={"pupils": kept.report.n, "kept": True})
        return kept

    def run_factor_analysis(
        self,
        school_year: int | None = None,
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> KeptFactors:
        """:meth:`factor_analysis`, kept for the data version it was computed from."""
        ctx = self._ctx
        ctx.gate.require("analysis")
        self._require_keys(FACTOR_KINDS, "要因分析")
        year = self._factor_year(school_year)
        version = factor_data_version(ctx.db)  # before the data: a change means stale
        # The year's rows reduced per pupil on a reader connection: few Python objects, so
        # searches beside the analysis wait little for the interpreter's lock (issue 11).
        table, controls = factor_table(ctx.db.read(lambda c: factor_inputs.read_year(c, year)))
        report: FactorReport = _cancelled(lambda: factor_analysis(
            table, school_year=year, controls=controls, progress=progress, cancel=cancel))
        ctx.log("risk_factors", target=f"factors:{year}",
                detail={"pupils": report.n, "factors": len(report.results)})
        return keep_report(ctx.db, report, version, ctx.clock())

    @staticmethod
    def factor_report_json(report: FactorReport) -> dict[str, Any]:
        return to_jsonable(report)

    def domain_judgments(self, pupil_id: int, school_year: int | None = None) -> SurveyDomains:
        """Which survey domains of the pupil look weak against the grade (karte), from the
        grade norms kept per data version (``services/survey_domains.py``)."""
        ctx = self._ctx
        ctx.gate.require("view")
        if not self.may_see_survey_domains():
            raise self._deny("survey_domains", "調査回答を閲覧する権限がありません。")
        require_not_former(ctx, pupil_id, "view_survey_domains")
        ctx.log("view_survey_domains", pupil_id=pupil_id)
        return survey_domains(ctx.db, pupil_id, school_year, ctx.clock)
