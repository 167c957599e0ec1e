"""Condition extraction (抽出) within the permission map: fields, run, save, export.

Extraction finds pupils, so it needs the ``pupil_search`` function; every dataset a
condition touches must be within the role's domains (the field catalogue lists only those,
and a run that names another is refused and logged). Runs, saves and exports are
audit-logged; an export holds only the identity columns the role may see and the values of
the conditions (which the role may see by construction). A saved extraction is shown only to
roles that may run it: its name alone can say what it looks for (いじめ…), so one that reads
a dataset outside the role's need to know is neither listed, opened nor overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from storage.connection import Connection, transaction
from storage.registry import DatasetKind
from storage.repos import extraction as repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import EXTRACTION_RESULTS
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.extraction.engine import (
    Evaluation,
    LeafOutcome,
    evaluate,
    kinds_used,
    validate,
    value_for,
)
from toda_desktop.extraction.model import AGGREGATES, OPERATORS, Extraction, from_json, to_json
from toda_desktop.extraction.presets import PushSupportOptions, push_support_preset
from toda_desktop.formatting import format_phrase
from toda_desktop.karte.service import SURVEY_DOMAINS, survey_name
from toda_desktop.phrase import Phrase
from toda_desktop.policy.model import ID_LABELS
from toda_desktop.search.former import former_among, sees_former
from toda_desktop.text_input import require_valid_text
from toda_desktop.withheld import ASK_FOR_KEYS

# The dataset each switch of the push-support preset reads; the three criteria proper.
PRESET_DATA = {"no_long_absence": "long_absence", "academic": "academic_results",
               "lesson": "survey_responses", "happy": "survey_responses"}
CRITERIA = ("academic", "lesson", "happy")

# Said for a saved extraction that does not exist or reads data the role may not see: the
# same words for both, so the answer does not tell that a hidden one exists.
NOT_FOUND = "その保存済みの抽出条件は見つかりません。"

# Person-reference IDs are not conditions (a pupil is found by ID in the search instead).
_NOT_FIELDS = {"address_code", "pref_id", "google_account", "name", "name_kana"}
_TYPE_OPERATORS = {
    "numeric": (">=", ">", "<=", "<", "==", "!=", "in", "not_in"),
    "date": (">=", ">", "<=", "<", "==", "!="),
    "choice": ("==", "!=", "in", "not_in"),
    "text": ("==", "!=", "in", "not_in"),
    # A survey answer: a number (AiGROW 55, RST 0.83) or a category (Q-U 学級生活不満足群).
    "answer": (">=", ">", "<=", "<", "==", "!=", "in", "not_in"),
}
_NUMERIC = {"int", "float", "percent", "school_year", "month", "grade"}


@dataclass(frozen=True)
class FieldInfo:
    """One field a condition can use."""

    kind: str
    kind_label: str
    field: str
    label: str
    type: str  # registry column type
    values: tuple[str, ...]  # allowed values of an enum ("" otherwise)
    operators: tuple[str, ...]
    aggregates: tuple[str, ...]
    has_month: bool  # a month can be chosen (monthly data or an event date)
    has_event_date: bool  # counts over a window are possible


@dataclass(frozen=True)
class SurveyInfo:
    code: str
    label: str
    rounds: tuple[int, ...]
    domains: tuple[str, ...]
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class MatchedValue:
    condition: Phrase  # the condition's description (years as values)
    value: Phrase  # the value that decided, e.g. 「7（2025年6月）」


@dataclass(frozen=True)
class ExtractionRow:
    pupil_id: int
    name: str
    name_kana: str
    school_name: str
    school_code: str
    grade: int | None
    class_name: str
    seat_number: int | None
    birth_date: date | None
    address_code: str | None
    values: tuple[MatchedValue, ...]


@dataclass(frozen=True)
class ConditionCount:
    condition: Phrase
    pupils: int  # pupils of the population meeting this condition alone


@dataclass(frozen=True)
class ExtractionResult:
    name: str
    school_year: int
    population: int
    rows: tuple[ExtractionRow, ...]
    conditions: tuple[Phrase, ...]  # column headings of the values, in order
    counts: tuple[ConditionCount, ...]
    kinds: tuple[str, ...]  # datasets the conditions read (checked again on export)
    run_at: datetime


@dataclass(frozen=True)
class SavedExtraction:
    id: int
    name: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    extraction: Extraction


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _class_order(name: str) -> tuple[int, int, str]:
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def _without(ev: Evaluation, gone: frozenset[int]) -> Evaluation:
    """The evaluation as if these pupils were not in the population (set operations commute
    with removing them, negations included)."""
    if not gone:
        return ev
    return replace(
        ev, population={p: row for p, row in ev.population.items() if p not in gone},
        matched=ev.matched - gone,
        outcomes=tuple(LeafOutcome(o.matched - gone, o.values, o.missing)
                       for o in ev.outcomes))


class ExtractionService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # -- what can be asked ---------------------------------------------------------------

    def _visible(self) -> dict[str, DatasetKind]:
        return {k.name: k for k in self._ctx.gate.visible_kinds()}

    def fields(self) -> tuple[FieldInfo, ...]:
        """Every field of every pupil dataset the role may see."""
        self._ctx.gate.require("pupil_search")
        out = []
        for kind in self._visible().values():
            if not kind.pupil:
                continue
            for col in kind.stored_columns:
                if col.key in _NOT_FIELDS:
                    continue
                if col.type == "answer":
                    group = "answer"
                elif col.type in _NUMERIC:
                    group = "numeric"
                elif col.type == "date":
                    group = "date"
                elif col.type in ("enum", "bool"):
                    group = "choice"
                else:
                    group = "text"
                aggregates = tuple(AGGREGATES) if group == "numeric" else ("any", "count")
                out.append(FieldInfo(
                    kind=kind.name, kind_label=kind.label, field=col.key, label=col.label,
                    type=col.type, values=col.values,
                    operators=_TYPE_OPERATORS[group], aggregates=aggregates,
                    has_month=kind.has_column("month") or kind.event_date is not None,
                    has_event_date=kind.event_date is not None,
                ))
        return tuple(out)

    def operators(self) -> dict[str, str]:
        return dict(OPERATORS)

    def surveys(self) -> tuple[SurveyInfo, ...]:
        """Instruments in the store with their rounds, domains and subjects (empty for a
        role that may not see surveys)."""
        ctx = self._ctx
        ctx.gate.require("pupil_search")
        if "survey_responses" not in self._visible():
            return ()
        out = []
        for code, rounds, subjects, domains in ctx.db.call(repo.survey_catalogue):
            have = set(filter(None, domains.split(",")))
            out.append(SurveyInfo(
                code=code, label=survey_name(code),
                rounds=tuple(sorted(int(r) for r in rounds.split(",") if r)),
                domains=tuple(d for d in SURVEY_DOMAINS if d in have) + tuple(
                    sorted(have - set(SURVEY_DOMAINS))),
                subjects=tuple(sorted(filter(None, subjects.split(","))))))
        return tuple(out)

    def push_support_preset(
        self, options: PushSupportOptions | None = None, school_year: int | None = None
    ) -> Extraction:
        """The city's three push-support criteria, each switchable and tunable."""
        return push_support_preset(options, school_year)

    def push_support_locked(self) -> frozenset[str]:
        """Switches of the preset this role cannot turn on: their data is outside its need
        to know (e.g. 県学調結果 for the truancy-support staff)."""
        visible = self._visible()
        return frozenset(flag for flag, kind in PRESET_DATA.items() if kind not in visible)

    def push_support_options(self) -> PushSupportOptions | None:
        """The preset as this role can run it (locked switches off); None when none of the
        three criteria is left, and the preset is then not offered at all."""
        locked = self.push_support_locked()
        if all(c in locked for c in CRITERIA):
            return None
        o = PushSupportOptions()
        return replace(o, no_long_absence=o.no_long_absence and "no_long_absence" not in locked,
                       academic="academic" not in locked, lesson="lesson" not in locked,
                       happy="happy" not in locked)

    def _require_kinds(self, extraction: Extraction, action: str) -> None:
        ctx = self._ctx
        visible = self._visible()
        if ctx.registry.master.name not in visible:  # the population: pupils of the register
            raise UserFacingError("抽出には児童生徒基本情報の鍵が必要です。" + ASK_FOR_KEYS)
        for name in sorted(kinds_used(extraction)):
            if name not in visible:
                label = ctx.registry.kind(name).label if name in ctx.registry.names \
                    else name
                ctx.log("permission_denied",
                        outcome="denied", target=f"{action}:{name}")
                if name in {k.name for k in ctx.gate.withheld_kinds()}:  # issue 12
                    raise PermissionDenied(f"「{label}」の鍵をお持ちでないため、条件に使えません。")
                raise PermissionDenied(f"「{label}」を条件に使う権限がありません。")

    # -- running -------------------------------------------------------------------------

    def run(self, extraction: Extraction, *, school_year: int | None = None,
            progress: Callable[[float], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> ExtractionResult:
        """Evaluate on the current data; ``school_year`` overrides the base year.

        ``progress`` receives the fraction of conditions evaluated; when ``cancel()`` turns
        true the run stops between conditions with ``OperationCancelled`` (nothing was
        written, and no run is logged).
        """
        ctx = self._ctx
        ctx.gate.require("pupil_search")
        require_valid_text(to_json(extraction), "抽出条件（名前や値）")
        validate(extraction, ctx.registry)
        self._require_kinds(extraction, "extract")
        evaluation = ctx.db.read(
            lambda c: evaluate(c, ctx.registry, extraction, school_year,
                               progress=progress, cancel=cancel))
        if not sees_former(ctx):  # an earlier base year lists no one who has left since
            gone = ctx.db.read(lambda c: former_among(c, set(evaluation.population)))
            evaluation = _without(evaluation, gone)
        result = self._result(extraction, evaluation)
        ctx.log(
            "extraction", target=extraction.name,
            detail={"school_year": result.school_year,
                    "conditions": [format_phrase(c) for c in result.conditions],
                    "results": len(result.rows), "population": result.population},
        )
        return result

    def _result(self, extraction: Extraction, ev: Evaluation) -> ExtractionResult:
        show_address = "address_code" in self._id_kinds()
        rows = []
        for pid in ev.matched:
            p = ev.population[pid]
            rows.append(ExtractionRow(
                pupil_id=pid, name=p.name, name_kana=p.name_kana,
                school_name=p.school_name or p.school_code or "",
                school_code=p.school_code or "", grade=p.grade, class_name=p.class_name or "",
                seat_number=p.seat_number, birth_date=_date(p.birth_date),
                address_code=p.address_code if show_address else None,
                values=tuple(MatchedValue(label, value_for(o, pid))
                             for label, o in zip(ev.labels, ev.outcomes, strict=True)),
            ))
        rows.sort(key=lambda r: (r.school_code, r.grade or 0, _class_order(r.class_name),
                                 r.seat_number or 0, r.pupil_id))
        return ExtractionResult(
            name=extraction.name, school_year=ev.base_year, population=len(ev.population),
            rows=tuple(rows), conditions=ev.labels,
            counts=tuple(ConditionCount(label, len(o.matched))
                         for label, o in zip(ev.labels, ev.outcomes, strict=True)),
            kinds=tuple(sorted(kinds_used(extraction))),
            run_at=self._ctx.now(),
        )

    def _id_kinds(self) -> tuple[str, ...]:
        return self._ctx.gate.visible_ids()

    # -- saving --------------------------------------------------------------------------

    def save(self, extraction: Extraction) -> SavedExtraction:
        """Save under its name (an existing one of that name is replaced)."""
        ctx = self._ctx
        ctx.gate.require("pupil_search")
        require_valid_text(to_json(extraction), "抽出条件（名前や値）")
        validate(extraction, ctx.registry)
        self._require_kinds(extraction, "extraction_save")
        text = to_json(extraction)
        name = extraction.name.strip()
        visible = self._visible()

        def write(conn: Connection) -> int | list[str]:
            with transaction(conn):
                for row in repo.all_saved(conn):
                    if row.name == name and (hidden := self._hidden_kinds(row, visible)):
                        return hidden  # another role's extraction: not replaced unseen
                return repo.save(conn, name, text, ctx.actor.login_id, at=ctx.clock())

        saved_id = ctx.db.call(write)
        if isinstance(saved_id, list):
            ctx.log("permission_denied", outcome="denied",
                    target=f"extraction_save:{saved_id[0]}")
            raise PermissionDenied("この名前では保存できません。別の名前にしてください。")
        ctx.log("extraction_saved", target=name,
                detail={"id": saved_id})
        return self.get(saved_id)

    def saved(self) -> tuple[SavedExtraction, ...]:
        """The saved extractions this role may run (the others are left out, names too)."""
        self._ctx.gate.require("pupil_search")
        rows = self._ctx.db.call(repo.all_saved)
        visible = self._visible()
        return tuple(self._saved(r) for r in rows if not self._hidden_kinds(r, visible))

    def get(self, saved_id: int) -> SavedExtraction:
        """One saved extraction the role may run; one it may not is refused (logged) in the
        words used for a missing one."""
        ctx = self._ctx
        ctx.gate.require("pupil_search")
        row = ctx.db.call(lambda c: repo.get_saved(c, saved_id))
        if row is None:
            raise UserFacingError(NOT_FOUND)
        hidden = self._hidden_kinds(row, self._visible())
        if hidden:
            ctx.log("permission_denied", outcome="denied", target=f"extract:{hidden[0]}",
                    detail={"id": saved_id})
            raise PermissionDenied(NOT_FOUND)
        return self._saved(row)

    @staticmethod
    def _hidden_kinds(row: repo.SavedRow, visible: dict[str, DatasetKind]) -> list[str]:
        """The datasets a saved definition reads outside the role's visible kinds (which,
        when keys are held per domain, are also the ones whose keys the user holds)."""
        return sorted(k for k in kinds_used(from_json(row.definition)) if k not in visible)

    @staticmethod
    def _saved(row: repo.SavedRow) -> SavedExtraction:
        """A row the role may run (callers leave out the others)."""
        return SavedExtraction(
            id=row.id, name=row.name, created_by=row.created_by,
            created_at=datetime.fromisoformat(row.created_at), updated_by=row.updated_by,
            updated_at=datetime.fromisoformat(row.updated_at),
            extraction=from_json(row.definition),
        )

    def run_saved(self, saved_id: int, *, school_year: int | None = None,
                  progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> ExtractionResult:
        return self.run(self.get(saved_id).extraction, school_year=school_year,
                        progress=progress, cancel=cancel)

    def delete(self, saved_id: int) -> None:
        """Its author, or a role that may edit data, removes a saved extraction."""
        ctx = self._ctx
        item = self.get(saved_id)
        if item.created_by != ctx.actor.login_id and not ctx.gate.may("edit"):
            raise PermissionDenied("作成者以外はこの抽出条件を削除できません。")

        def remove(conn: Connection) -> bool:
            with transaction(conn):
                return repo.delete_saved(conn, saved_id)

        ctx.db.call(remove)
        ctx.log("extraction_deleted", target=item.name,
                detail={"id": saved_id})

    # -- export --------------------------------------------------------------------------

    def export(self, result: ExtractionResult, path: Path,
               encoding: str = "utf-8-sig", *, overwrite: bool = False,
               purpose: Purpose | None = None) -> ExportResult:
        """The result list as CSV (UTF-8 with BOM or CP932) or .xlsx; logged before the
        file is written, its outcome after (``export_log``); identifiable: with a purpose
        (and above the lead's number of pupils, an approval)."""
        ctx = self._ctx
        ctx.gate.require("export")
        visible = self._visible()
        for name in result.kinds:
            if name not in visible:
                ctx.log("permission_denied",
                        outcome="denied", target=f"export:{name}")
                raise PermissionDenied("この抽出結果を出力する権限がありません。")
        show_address = "address_code" in self._id_kinds()
        headers = [*([ID_LABELS["address_code"]] if show_address else []),
                   "氏名", "カナ", "学校", "学年", "組", "番号", "生年月日",
                   *(format_phrase(c) for c in result.conditions)]
        rows = [
            [*([r.address_code] if show_address else []), r.name, r.name_kana, r.school_name,
             r.grade, r.class_name, r.seat_number,
             "" if r.birth_date is None else r.birth_date.isoformat(),
             *(format_phrase(v.value) for v in r.values)]
            for r in result.rows
        ]

        def write() -> ExportResult:
            if path.suffix.lower() == ".xlsx":
                return write_xlsx(path, headers, rows, sheet=result.name[:31] or "抽出結果",
                                  overwrite=overwrite)
            return write_csv(path, headers, rows, encoding=encoding, overwrite=overwrite)

        return logged_export(ctx, EXTRACTION_RESULTS, target=f"extraction:{result.name}",
                             path=path, rows=len(rows), write=write, overwrite=overwrite,
                             purpose=purpose, pupils=len({r.pupil_id for r in result.rows}),
                             detail={"school_year": result.school_year})
