"""研究用データの作成: a pseudonymised, k-anonymous extract for a registered research project.

The service checks, in this order: the session and ``research_export``; the master's key
(the population is the pupil register); each chosen kind within the role's domains *and*
held by this account (a kind without its key is refused by name); the project (registered,
with its own random key) and its approval (``approval.approver_for``); a stated purpose.
It then reads, builds in memory (``build``) and returns the summary — the k-anonymity step,
the rows withheld, the suppressed cells — before anything is written. Writing logs one
export entry (purpose, project, approver, kinds, years, the disclosure figures) before the
files exist and its outcome after (``export_log``).

The project key never leaves the ``research`` group's file (its key is sealed only to roles
with ``research_export``, ``storage.key_groups``): only pseudonyms made with it do. Registering
a project and making an extract need that key; listing and approving projects do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analysis.research.pseudonyms import new_project_key
from storage.connection import Connection, transaction
from storage.key_groups import RESEARCH_GROUP
from storage.registry import DatasetKind
from storage.repos import research as repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import OperationCancelled, PermissionDenied, UserFacingError
from toda_desktop.export_files import ExportResult
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import RESEARCH_EXTRACT
from toda_desktop.research.approval import APPROVE, approver_for
from toda_desktop.research.build import BuiltExtract, build
from toda_desktop.research.catalogue import Variable, variable, variables
from toda_desktop.research.files import (
    ExtractInfo,
    check_paths,
    planned_paths,
    write_all,
)
from toda_desktop.staff import Staff, staff_book, staff_of
from toda_desktop.text_input import require_valid_text

FUNCTION = "research_export"
MAX_NAME = 60
MAX_PURPOSE = 500
NEEDS_MASTER = ("研究用データの作成には児童生徒基本情報の鍵が必要です。"
                "鍵を持つアカウントで作成してください。")
NO_PROJECT_KEYS = ("研究プロジェクトの鍵をお持ちでないため、研究プロジェクトの登録と研究用データの"
                   "作成はできません。鍵の付与を事業全体総括職員に依頼してください。")
NO_PROJECT_KEY = ("研究プロジェクト「{name}」の鍵が見つかりません。"
                  "事業全体総括職員に連絡してください。")
NO_PROJECT = ("研究プロジェクト「{name}」は登録されていません。"
              "先にプロジェクトを登録してください。")


@dataclass(frozen=True)
class Project:
    """A registered project as shown (its key is never part of it)."""

    name: str
    purpose: str
    created_by: Staff
    created_at: datetime
    approved_by: Staff | None
    approved_at: datetime | None


@dataclass(frozen=True)
class ExtractRequest:
    project: str
    purpose: str  # this extract's purpose (free text), recorded with the export
    years: tuple[int, ...]
    columns: tuple[tuple[str, str], ...]  # (kind, column) pairs


@dataclass(frozen=True)
class PreparedExtract:
    """Built and checked, not yet written: what the user sees before confirming."""

    request: ExtractRequest
    approver: str
    variables: tuple[Variable, ...]
    built: BuiltExtract
    made_at: datetime

    def _label(self, kind: str) -> str:
        return next((v.kind_label for v in self.variables if v.kind == kind), kind)

    @property
    def summary(self) -> ExtractSummary:
        a = self.built.anonymity
        return ExtractSummary(
            population=self.built.population, published=len(self.built.pupils),
            withheld=a.withheld, step=a.step.number, step_label=a.step.label, k=a.k,
            classes=a.classes, smallest=a.smallest,
            rows={self._label(kind): len(frame) for kind, frame in self.built.kinds.items()},
            primary=sum(g.primary for g in self.built.aggregates),
            complementary=sum(g.complementary for g in self.built.aggregates))


@dataclass(frozen=True)
class ExtractSummary:
    population: int  # pupil-years in the chosen years
    published: int  # pupil-years written
    withheld: int  # pupil-years withheld (their class stayed under k)
    step: int
    step_label: str
    k: int
    classes: int
    smallest: int
    rows: dict[str, int]  # kind's Japanese label → rows written
    primary: int  # aggregate cells suppressed for being small
    complementary: int  # aggregate cells suppressed to protect them


@dataclass(frozen=True)
class WrittenExtract:
    folder: Path
    files: tuple[Path, ...]
    summary: ExtractSummary


def _project(row: repo.ProjectRow, staff: dict[str, Staff]) -> Project:
    approver = None if row.approved_by is None else staff_of(staff, row.approved_by)
    return Project(row.name, row.purpose, staff_of(staff, row.created_by),
                   datetime.fromisoformat(row.created_at), approver,
                   None if row.approved_at is None else datetime.fromisoformat(row.approved_at))


def _name(name: str) -> str:
    text = require_valid_text(name, "研究プロジェクト名").strip()
    if not text:
        raise UserFacingError("研究プロジェクト名を入力してください。")
    if len(text) > MAX_NAME:
        raise UserFacingError(f"研究プロジェクト名は{MAX_NAME}文字以内にしてください。")
    return text


def _purpose(purpose: str) -> str:
    text = require_valid_text(purpose, "利用目的").strip()
    if not text:
        raise UserFacingError("利用目的を入力してください（監査ログに記録されます）。")
    if len(text) > MAX_PURPOSE:
        raise UserFacingError(f"利用目的は{MAX_PURPOSE}文字以内にしてください。")
    return text


def _in_transaction(conn: Connection, work: Callable[[], None]) -> None:
    with transaction(conn):
        work()


class ResearchService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # -- what can be chosen ----------------------------------------------------------------

    def _require(self) -> None:
        ctx = self._ctx
        ctx.gate.require(FUNCTION)
        if not ctx.gate.sees(ctx.registry.master.name):
            raise PermissionDenied(NEEDS_MASTER)

    def _require_project_keys(self) -> None:
        """The ``research`` group's key in hand (logged when missing)."""
        ctx = self._ctx
        if not ctx.db.call(repo.holds_project_keys, kind=RESEARCH_GROUP):
            ctx.log("permission_denied", outcome="denied", target="research_project_keys",
                    detail={"reason": "not_a_holder"})
            raise PermissionDenied(NO_PROJECT_KEYS)

    def variables(self) -> tuple[Variable, ...]:
        """The columns this account may put in an extract (kinds it sees and holds)."""
        self._require()
        return variables(self._ctx.gate.visible_kinds())

    def withheld_note(self) -> str:
        """Which domains are missing for want of a key ("" when none)."""
        self._ctx.gate.require(FUNCTION)
        return self._ctx.gate.withheld_note()

    def school_years(self) -> tuple[int, ...]:
        self._require()
        return tuple(self._ctx.db.read(repo.school_years))

    def projects(self) -> tuple[Project, ...]:
        self._require()
        rows, staff = self._ctx.db.read(lambda c: (repo.projects(c), staff_book(c)))
        return tuple(_project(r, staff) for r in rows)

    def may_approve(self) -> bool:
        """For the window: whether this role approves projects (acting still checks)."""
        self._ctx.gate.require_session(FUNCTION)
        return self._ctx.gate.may(APPROVE)

    # -- projects --------------------------------------------------------------------------

    def register_project(self, name: str, purpose: str) -> Project:
        """A new project with its own random key; approved at once when the project lead
        registers it, waiting for the lead's approval otherwise."""
        ctx = self._ctx
        self._require()
        self._require_project_keys()
        name, purpose = _name(name), _purpose(purpose)
        at = ctx.now().isoformat()
        lead = ctx.gate.may(APPROVE)
        row = repo.ProjectRow(name, purpose, ctx.actor.login_id, at,
                              ctx.actor.login_id if lead else None, at if lead else None)
        if ctx.db.read(lambda c: repo.project(c, name)) is not None:
            raise UserFacingError(f"研究プロジェクト「{name}」は既に登録されています。")
        key = new_project_key()
        # The key first, in its own file: a project is never listed without its key.
        ctx.db.call(lambda c: _in_transaction(c, lambda: repo.put_project_key(c, name, key)),
                    kind=RESEARCH_GROUP)

        def add(conn: Connection) -> bool:
            with transaction(conn):
                if repo.project(conn, name) is not None:
                    return False
                repo.add_project(conn, row)
                return True

        if not ctx.db.call(add):
            raise UserFacingError(f"研究プロジェクト「{name}」は既に登録されています。")
        ctx.log("research_project", target=name,
                detail={"purpose": purpose, "approved": lead})
        return self._get(name)

    def approve_project(self, name: str) -> Project:
        """The project lead approves a project another role registered."""
        ctx = self._ctx
        ctx.gate.require(APPROVE)
        self._require()
        at = ctx.now().isoformat()

        def approve(conn: Connection) -> bool:
            with transaction(conn):
                return repo.approve_project(conn, name, ctx.actor.login_id, at)

        if not ctx.db.call(approve):
            self._get(name)  # says so when it does not exist
            raise UserFacingError(f"研究プロジェクト「{name}」は既に承認されています。")
        ctx.log("research_project_approved", target=name)
        return self._get(name)

    def _row(self, name: str) -> repo.ProjectRow:
        row = self._ctx.db.read(lambda c: repo.project(c, name))
        if row is None:
            raise UserFacingError(NO_PROJECT.format(name=name))
        return row

    def _get(self, name: str) -> Project:
        return _project(self._row(name), self._ctx.db.read(staff_book))

    # -- the extract -----------------------------------------------------------------------

    def _chosen(self, request: ExtractRequest) -> tuple[Variable, ...]:
        ctx = self._ctx
        out = []
        for kind, column in dict.fromkeys(request.columns):
            ctx.gate.require_kind(FUNCTION, kind, pupil=True)
            found = variable(ctx.registry, kind, column)
            if found is None:
                spec = ctx.registry.kind(kind)
                label = spec.column(column).label if spec.has_column(column) else column
                raise UserFacingError(
                    f"「{spec.label}」の「{label}」は研究用データに含められません"
                    "（氏名・生年月日・ID・自由記述などは出力しません）。")
            out.append(found)
        return tuple(out)

    def prepare(self, request: ExtractRequest, *,
                progress: Callable[[float], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> PreparedExtract:
        """Check, read and build in memory; nothing is written and nothing logged yet."""
        ctx = self._ctx
        self._require()
        name = _name(request.project)
        _purpose(request.purpose)
        chosen = self._chosen(request)
        years = tuple(sorted({int(y) for y in request.years}))
        if not years:
            raise UserFacingError("年度を1つ以上選んでください。")
        self._require_project_keys()
        project = self._row(name)
        approver = approver_for(ctx, project)
        project_key = ctx.db.read(lambda c: repo.project_key(c, name), kind=RESEARCH_GROUP)
        if project_key is None:
            raise UserFacingError(NO_PROJECT_KEY.format(name=name))
        step = 1.0 / (2 + len({v.kind for v in chosen}))

        def report(fraction: float) -> None:
            if progress is not None:
                progress(min(fraction, 1.0))

        pupil_rows = ctx.db.read(lambda c: repo.pupil_years(c, years))
        report(step)
        kind_rows = {}
        for i, kind in enumerate(dict.fromkeys(v.kind for v in chosen)):
            of_kind = tuple(v for v in chosen if v.kind == kind)
            spec = ctx.registry.kind(kind)
            columns = [v.column for v in of_kind]

            def read(conn: Connection, s: DatasetKind = spec, cs: list[str] = columns
                     ) -> list[tuple[object, ...]]:
                return repo.kind_rows(conn, s, cs, years)

            kind_rows[kind] = (of_kind, ctx.db.read(read))
            report(step * (i + 2))
            if cancel is not None and cancel():
                raise OperationCancelled()
        built = build(project_key, years, pupil_rows, kind_rows,
                      {k.name: k.label for k in ctx.registry.kinds}, cancel=cancel)
        report(1.0)
        return PreparedExtract(
            request=ExtractRequest(name, request.purpose.strip(), years, request.columns),
            approver=approver, variables=chosen, built=built, made_at=ctx.now())

    def write(self, prepared: PreparedExtract, folder: Path) -> WrittenExtract:
        """Write the prepared extract's files into ``folder`` (new names only), logged with
        its purpose and approver."""
        ctx = self._ctx
        self._require()
        request = prepared.request
        self._chosen(request)  # the kinds again: the map may have changed since
        info = ExtractInfo(project=request.project, purpose=_purpose(request.purpose),
                           approver=prepared.approver, made_by=ctx.actor.login_id,
                           made_at=prepared.made_at, years=request.years,
                           variables=prepared.variables)
        paths = planned_paths(folder, prepared.built, info)
        check_paths(paths)
        summary = prepared.summary
        written: list[Path] = []

        def write() -> ExportResult:
            written.extend(write_all(folder, prepared.built, info))
            return ExportResult(paths[-1], summary.published, 0)

        logged_export(
            ctx, RESEARCH_EXTRACT, target=f"research:{request.project}", path=paths[-1],
            rows=summary.published, write=write, action="research_extract",
            detail={"project": request.project, "purpose": info.purpose,
                    "approver": prepared.approver,
                    "kinds": sorted({v.kind for v in prepared.variables}),
                    "columns": [f"{v.kind}.{v.column}" for v in prepared.variables],
                    "years": list(request.years), "files": len(paths),
                    "k": summary.k, "step": summary.step, "withheld": summary.withheld,
                    "cells_primary": summary.primary,
                    "cells_complementary": summary.complementary})
        return WrittenExtract(folder, tuple(written), summary)

    def extract(self, request: ExtractRequest, folder: Path, *,
                progress: Callable[[float], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> WrittenExtract:
        """Prepare and write in one go (the command line)."""
        self._require()
        return self.write(self.prepare(request, progress=progress, cancel=cancel), folder)

