"""Support cases (児童生徒理解・支援シート, issue 14): open, read, change — within the map.

Who: viewing a domain's cases needs ``view`` and that domain's dataset (the map's domains and
the key of its group: the cases live in that group's file); changing them needs ``case_edit``
too. Former pupils follow the map's ``former_pupils`` setting as in the karte. Every read and
change is audit-logged with the pupil; every change of a field is kept in the case's history
(who, when, old, new, reason) in the same transaction; nothing is deleted — a withdrawn item
keeps its row with the reason. A restricted note (child protection, health) is listed without
its text; ``open_note`` returns the text and logs the reason given.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kernel.date_style import DateStyle
from storage.connection import Connection, transaction
from storage.repos import cases as repo
from storage.repos import risk as risk_repo
from toda_desktop.cases import forms, values
from toda_desktop.cases.evidence import evidence_to_json, read_evidence
from toda_desktop.cases.forms import meeting_payload
from toda_desktop.cases.history import history_entries
from toda_desktop.cases.model import (
    Action,
    ActionInput,
    ActionStatus,
    CaseDetail,
    CaseDomain,
    CaseSource,
    CaseStatus,
    CaseSummary,
    CommonSheet,
    Done,
    Draft,
    DueReview,
    Evidence,
    HistoryEntry,
    Meeting,
    MeetingInput,
    NoteKind,
    NoteSummary,
    OpenAction,
    PupilCases,
    RecordStatus,
    Review,
    ReviewInput,
    Worked,
    YearSheet,
    YearSheetInput,
    case_key,
    case_label,
    parse_case_key,
)
from toda_desktop.clock import today
from toda_desktop.context import ServiceContext
from toda_desktop.errors import OperationCancelled, PermissionDenied, UserFacingError
from toda_desktop.printing.document import PrintDocument
from toda_desktop.search.former import (
    DENIED_MESSAGE as DENIED_FORMER,
)
from toda_desktop.search.former import former_among, require_not_former, sees_former
from toda_desktop.staff import Staff, staff_book
from toda_desktop.text_input import require_valid_text

if TYPE_CHECKING:
    from toda_desktop.cases.importer import ImportedMeeting

T = TypeVar("T")

EDIT = "case_edit"
# The kinds an alert list is made from: who may open a case from an alert sees both (as
# toda_desktop.risk.service.ALERT_KINDS; not imported, that module brings scikit-learn).
ALERT_KINDS = ("attendance_monthly", "long_absence")
DUE_WITHIN = 14  # days ahead that reviews_due lists by default

NOT_FOUND = "そのケースは見つかりません。"


class CaseService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # -- permissions ------------------------------------------------------------------------

    @property
    def _actor(self) -> str:
        return self._ctx.actor.login_id

    def may_edit(self) -> bool:
        """For showing the edit buttons; every change still asks the gate."""
        return self._ctx.gate.may(EDIT) and bool(self.domains(editable=True))

    def domains(self, *, editable: bool = False) -> tuple[CaseDomain, ...]:
        """The case domains the reader sees (``editable``: and may change)."""
        gate = self._ctx.gate
        if not gate.may("view") or (editable and not gate.may(EDIT)):
            gate.require_session("cases")
            return ()
        return tuple(d for d in CaseDomain if gate.sees(d.home_kind))

    def _require(self, domain: CaseDomain, function: str = "view") -> None:
        gate = self._ctx.gate
        gate.require_session("cases")
        domain = CaseDomain(domain)
        if function != "view":
            gate.require(function)
        try:
            gate.require_kind("view", domain.home_kind, pupil=True)
        except PermissionDenied:  # logged by the gate; said in the cases' own words
            if gate.role.sees(self._ctx.registry.kind(domain.home_kind)):
                raise PermissionDenied(f"{domain.label}のケースの鍵をお持ちでないため、"
                                       "扱えません。") from None
            raise PermissionDenied(f"{domain.label}のケースを扱う権限がありません。") from None

    def _schema(self, conn: Connection, domain: CaseDomain) -> str:
        schema = repo.case_schema(conn, domain.home_kind)
        if schema is None:
            raise PermissionDenied(f"{domain.label}のケースの鍵をお持ちでないため、扱えません。")
        return schema

    def _call(self, domain: CaseDomain, fn: Callable[[Connection, str], T]) -> T:
        """Run ``fn(conn, schema)`` on the database thread, on the domain file's lane."""
        return self._ctx.db.call(lambda conn: fn(conn, self._schema(conn, domain)),
                                 kind=domain.home_kind)

    def _write(self, domain: CaseDomain, fn: Callable[[Connection, str], T]) -> T:
        def run(conn: Connection, schema: str) -> T:
            with transaction(conn):
                return fn(conn, schema)
        return self._call(domain, run)

    def _key(self, key: str) -> tuple[CaseDomain, int]:
        self._ctx.gate.require_session("cases")
        try:
            return parse_case_key(str(key))
        except ValueError:
            raise UserFacingError(NOT_FOUND) from None

    def _case_row(self, conn: Connection, schema: str, number: int) -> repo.CaseRow:
        row = repo.get_case(conn, schema, number)
        if row is None:
            raise UserFacingError(NOT_FOUND)
        return row

    def _open_case(self, key: str, function: str = "view", action: str = "case_view"
                   ) -> tuple[CaseDomain, int, int]:
        """Check the rights on the case's domain and its pupil; (domain, number, pupil)."""
        domain, number = self._key(key)
        self._require(domain, function)
        row = self._call(domain, lambda c, s: self._case_row(c, s, number))
        require_not_former(self._ctx, row.pupil_id, action)
        return domain, number, row.pupil_id

    # -- reading helpers --------------------------------------------------------------------

    def _staff(self) -> dict[str, Staff]:
        return self._ctx.db.call(staff_book)

    def _pupils(self, ids: Iterable[int]) -> dict[int, repo.PupilLine]:
        wanted = list(ids)
        if not wanted or not self._ctx.gate.sees(self._ctx.registry.master.name):
            return {}
        return self._ctx.db.call(lambda c: repo.pupil_lines(c, wanted))

    def _summaries(self, found: list[tuple[CaseDomain, repo.CaseRow]]) -> list[CaseSummary]:
        pupils = self._pupils(r.pupil_id for _, r in found)
        staff = self._staff()
        return [values.summary(d, r, pupils, staff) for d, r in found]

    def _without_former(self, found: list[tuple[CaseDomain, repo.CaseRow]]
                        ) -> list[tuple[CaseDomain, repo.CaseRow]]:
        if sees_former(self._ctx) or not found:
            return found
        gone = self._ctx.db.call(lambda c: former_among(c, (r.pupil_id for _, r in found)))
        return [(d, r) for d, r in found if r.pupil_id not in gone]

    # -- cases ------------------------------------------------------------------------------

    def open_case(self, pupil_id: int, domain: CaseDomain, *, title: str = "",
                  common: CommonSheet | None = None, source: CaseSource = CaseSource.MANUAL,
                  source_ref: str = "") -> CaseSummary:
        """A new case for the pupil in ``domain`` (an extraction or search result passes its
        source and a short reference, e.g. the saved extraction's name); audit-logged."""
        self._require(domain, EDIT)
        require_not_former(self._ctx, pupil_id, "case_open")
        common = common or CommonSheet()
        fields = {"title": forms.text(title, "件名"),
                  "profile": forms.text(common.profile, "本人の状況"),
                  "family": forms.text(common.family, "家庭の状況"),
                  "support_history": forms.text(common.support_history, "これまでの支援")}
        ref = forms.text(source_ref, "きっかけ")[:200]
        if not self._ctx.db.call(lambda c: repo.pupil_exists(c, pupil_id)):
            raise UserFacingError("その児童生徒は見つかりません。")
        at = self._ctx.now()
        number = self._write(domain, lambda c, s: repo.insert_case(
            c, s, pupil_id=pupil_id, domain=domain.value, fields=fields, source=source.value,
            source_ref=ref, by=self._actor, at=at))
        self._ctx.log("case_open", target=case_key(domain, number), pupil_id=pupil_id,
                      detail={"domain": domain.value, "source": source.value})
        return self._one(domain, number)

    def _one(self, domain: CaseDomain, number: int) -> CaseSummary:
        row = self._call(domain, lambda c, s: self._case_row(c, s, number))
        return self._summaries([(domain, row)])[0]

    def list_cases(self, *, domain: CaseDomain | None = None,
                   statuses: Iterable[CaseStatus] = (CaseStatus.OPEN,),
                   pupil_id: int | None = None) -> list[CaseSummary]:
        """The cases the reader may see (every visible domain, or one), newest first."""
        self._ctx.gate.require("view")
        wanted = tuple(s.value for s in statuses)
        if domain is not None:
            self._require(domain)
        domains = (domain,) if domain is not None else self.domains()
        found: list[tuple[CaseDomain, repo.CaseRow]] = []
        for d in domains:
            found += [(d, r) for r in self._call(d, lambda c, s: repo.list_cases(
                c, s, statuses=wanted, pupil_id=pupil_id))]
        found = self._without_former(found)
        found.sort(key=lambda x: x[1].updated_at, reverse=True)
        self._ctx.log("case_list", pupil_id=pupil_id,
                      detail={"cases": len(found), "domain": domain.value if domain else "*"})
        return self._summaries(found)

    def read_case(self, key: str) -> CaseDetail:
        """Everything of one case (restricted notes without their text); audit-logged."""
        domain, number, pupil_id = self._open_case(key)

        def read(conn: Connection, s: str) -> tuple[repo.CaseRow, list[repo.YearSheetRow],
                                                     list[repo.MeetingRow], list[repo.ActionRow],
                                                     list[repo.ReviewRow], list[repo.NoteRow]]:
            return (self._case_row(conn, s, number), repo.year_sheets(conn, s, number),
                    repo.meetings(conn, s, number), repo.actions(conn, s, number),
                    repo.reviews(conn, s, number), repo.notes(conn, s, number))

        row, years, meetings, actions, reviews, notes = self._call(domain, read)
        staff = self._staff()
        summary = self._summaries([(domain, row)])[0]
        detail = CaseDetail(
            summary=summary,
            common=CommonSheet(row.profile, row.family, row.support_history),
            years=tuple(values.year(y, staff) for y in years),
            meetings=tuple(values.meeting(m, actions, reviews, staff) for m in meetings),
            notes=tuple(values.note(n, staff) for n in notes),
            status_reason=row.status_reason,
            may_edit=self._ctx.gate.may(EDIT),
        )
        self._ctx.log("case_view", target=key, pupil_id=pupil_id,
                      detail={"meetings": len(meetings), "notes": len(notes)})
        return detail

    def update_common(self, key: str, common: CommonSheet, *, title: str | None = None
                      ) -> CaseSummary:
        """Change the 共通シート (and the title); only changed fields enter the history."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_change")
        changes: dict[str, str | None] = {
            "profile": forms.text(common.profile, "本人の状況"),
            "family": forms.text(common.family, "家庭の状況"),
            "support_history": forms.text(common.support_history, "これまでの支援")}
        if title is not None:
            changes["title"] = forms.text(title, "件名")
        changed = self._change(domain, "case_files", number, number, changes)
        self._ctx.log("case_change", target=key, pupil_id=pupil_id,
                      detail={"entity": "case", "fields": len(changed)})
        return self._one(domain, number)

    def set_case_status(self, key: str, status: CaseStatus, reason: str) -> CaseSummary:
        """Close (終結), reopen (対応中) or withdraw (取り下げ) a case, with the reason."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_change")
        reason = forms.reason(reason)
        self._change(domain, "case_files", number, number,
                     {"status": status.value, "status_reason": reason}, reason)
        self._ctx.log("case_status", target=key, pupil_id=pupil_id,
                      detail={"status": status.value})
        return self._one(domain, number)

    def _change(self, domain: CaseDomain, table: str, row_id: int, number: int,
                changes: Mapping[str, str | None], reason: str = ""
                ) -> list[tuple[str, str | None, str | None]]:
        at = self._ctx.now()

        def write(conn: Connection, s: str) -> list[tuple[str, str | None, str | None]]:
            try:
                return repo.update_fields(conn, s, table, row_id, number, changes,
                                          self._actor, at, reason)
            except KeyError:
                raise UserFacingError("その記録は見つかりません。") from None

        return self._write(domain, write)

    def _belongs(self, conn: Connection, s: str, table: str, row_id: int, number: int) -> None:
        """Refuse an item id that is not of this case (ids are per file)."""
        owner = repo.owner_case(conn, s, table, row_id)
        if owner != number:
            raise UserFacingError("その記録は見つかりません。")

    # -- links ------------------------------------------------------------------------------

    def _require_alerts(self) -> None:
        gate = self._ctx.gate
        gate.require("alerts")
        for kind in ALERT_KINDS:
            gate.require_kind("view", kind, pupil=True)

    def case_for_alert(self, alert_id: int, *, create: bool = True) -> CaseSummary | None:
        """The 不登校 case opened from this alert (for an alert marked 支援開始): the open case
        whose source is the alert, else the pupil's open 不登校 case, else (``create``) a new
        one with the alert as its source."""
        self._require_alerts()
        domain = CaseDomain.TRUANCY
        self._require(domain, EDIT if create else "view")
        alert = self._ctx.db.call(lambda c: risk_repo.get_alert(c, alert_id),
                                  kind="attendance_monthly")
        if alert is None:
            raise UserFacingError("そのアラートは見つかりません。")
        require_not_former(self._ctx, alert.pupil_id, "case_open")

        def find(conn: Connection, s: str) -> repo.CaseRow | None:
            linked = repo.list_cases(conn, s, statuses=("open",), source="alert",
                                     source_ref=str(alert_id))
            if linked:
                return linked[0]
            same = repo.list_cases(conn, s, statuses=("open",), pupil_id=alert.pupil_id)
            return same[0] if same else None

        row = self._call(domain, find)
        if row is not None:
            if not (row.source == CaseSource.ALERT.value and row.source_ref == str(alert_id)):
                self._link_alert(domain, row.id, alert_id, create)
            self._ctx.log("case_view", target=case_key(domain, row.id),
                          pupil_id=alert.pupil_id, detail={"alert": alert_id})
            return self._summaries([(domain, row)])[0]
        if not create:
            return None
        return self.open_case(alert.pupil_id, domain, title="見守りアラートからの支援",
                              source=CaseSource.ALERT, source_ref=str(alert_id))

    def _link_alert(self, domain: CaseDomain, number: int, alert_id: int, write: bool) -> None:
        """Note in the case's history that this alert was taken up by it (once)."""
        if not write:
            return
        at = self._ctx.now()

        def link(conn: Connection, s: str) -> None:
            if str(alert_id) in repo.linked_alerts(conn, s).get(number, ()):
                return
            repo.add_history(conn, s, number, "case", number, repo.LINKED_ALERT, None,
                             str(alert_id), self._actor, at)
        self._write(domain, link)

    def alert_cases(self, alert_ids: Iterable[int]) -> dict[int, str]:
        """Alert id → the key of the case opened from it (for the alert list's links)."""
        self._ctx.gate.require_session("cases")
        wanted = {str(i) for i in alert_ids}
        domain = CaseDomain.TRUANCY
        if not wanted or not self._ctx.gate.sees(domain.home_kind):
            return {}
        self._ctx.gate.require("view")
        def read(conn: Connection, s: str) -> tuple[list[repo.CaseRow], dict[int, list[str]]]:
            return repo.list_cases(conn, s, source="alert"), repo.linked_alerts(conn, s)
        rows, linked = self._call(domain, read)
        out = {int(a): case_key(domain, number) for number, alerts in linked.items()
               for a in alerts if a in wanted}
        out.update({int(r.source_ref): case_key(domain, r.id) for r in rows
                    if r.source_ref in wanted})
        return out

    def cases_for_pupil(self, pupil_id: int) -> PupilCases:
        """For the karte: the pupil's cases in the reader's domains, their open actions and
        the next review; audit-logged."""
        self._ctx.gate.require("view")
        require_not_former(self._ctx, pupil_id, "case_list")
        found: list[tuple[CaseDomain, repo.CaseRow]] = []
        open_actions: list[OpenAction] = []
        for d in self.domains():
            def read(conn: Connection, s: str) -> tuple[list[repo.CaseRow], list[repo.ActionRow]]:
                rows = repo.list_cases(conn, s, pupil_id=pupil_id)
                acts = [a for r in rows if r.status == "open" for a in repo.actions(conn, s, r.id)]
                return rows, acts
            rows, acts = self._call(d, read)
            found += [(d, r) for r in rows]
            open_actions += [OpenAction(case_key(d, a.case_id), case_label(d, a.case_id),
                                        values.action(a))
                             for a in acts if ActionStatus(a.status).open]
        summaries = self._summaries(found)
        reviews = [s.next_review for s in summaries
                   if s.status is CaseStatus.OPEN and s.next_review is not None]
        withheld = [d.label for d in CaseDomain
                    if self._ctx.gate.role.sees(self._ctx.registry.kind(d.home_kind))
                    and d not in self.domains()]
        self._ctx.log("case_list", pupil_id=pupil_id, detail={"cases": len(summaries)})
        pupil = self._pupils([pupil_id]).get(pupil_id)
        open_actions.sort(key=lambda o: (o.action.due or date.max, o.action.id))
        return PupilCases(
            cases=tuple(sorted(summaries, key=lambda s: (s.status is not CaseStatus.OPEN,
                                                         s.opened_at))),
            open_actions=tuple(open_actions), next_review=min(reviews) if reviews else None,
            withheld=(f"鍵をお持ちでない領域（{'、'.join(withheld)}）のケースは含まれていません。"
                      if withheld else ""),
            pupil_name=pupil.name if pupil else "",
        )

    def reviews_due(self, as_of: date | None = None, *, within_days: int = DUE_WITHIN
                    ) -> list[DueReview]:
        """Reviews due by ``as_of`` + ``within_days`` (overdue ones first) in the cases the
        signed-in user may see; ``mine`` marks those of cases they opened or meetings they
        recorded. For a 支援の予定 page and データ概要."""
        as_of = as_of or today(self._ctx.clock)
        found = self._due_rows(as_of, within_days)
        pupils = self._pupils(r.pupil_id for _, r in found)
        out = []
        for d, r in found:
            due = values.day(r.next_review) or as_of
            pupil = pupils.get(r.pupil_id)
            out.append(DueReview(
                case_key=case_key(d, r.case_id), case_label=case_label(d, r.case_id), domain=d,
                pupil_id=r.pupil_id, pupil_name=pupil.name if pupil else "",
                school_name=pupil.school_name if pupil else "", meeting_id=r.meeting_id,
                held_on=values.day(r.held_on) or as_of, next_review=due, overdue=due < as_of,
                mine=self._actor in (r.case_opened_by, r.meeting_by)))
        out.sort(key=lambda x: (x.next_review, x.case_key))
        self._ctx.log("case_reviews_due", detail={"reviews": len(out)})
        return out

    def reviews_due_count(self, as_of: date | None = None) -> int:
        """How many reviews are due today or overdue, for データ概要's card: a count only (no
        names read; the overview's own audit entry names the card)."""
        return len(self._due_rows(as_of or today(self._ctx.clock), 0))

    def _due_rows(self, as_of: date, within_days: int) -> list[tuple[CaseDomain, repo.DueRow]]:
        """Reviews due by ``as_of`` + ``within_days`` in the cases the reader may see."""
        self._ctx.gate.require("view")
        until = (as_of + timedelta(days=within_days)).isoformat()
        found: list[tuple[CaseDomain, repo.DueRow]] = []
        for d in self.domains():
            found += [(d, r) for r in self._call(d, lambda c, s: repo.due_reviews(c, s, until))]
        if not sees_former(self._ctx) and found:
            gone = self._ctx.db.call(lambda c: former_among(c, (r.pupil_id for _, r in found)))
            found = [(d, r) for d, r in found if r.pupil_id not in gone]
        return found

    # -- 学年別シート ------------------------------------------------------------------------

    def save_year_sheet(self, key: str, sheet: YearSheetInput) -> YearSheet:
        """The 学年別シート of one school year: made on first save, changed field by field
        after (history kept)."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_change")
        if not 1990 <= sheet.school_year <= 2200:
            raise UserFacingError("年度が正しくありません。")
        labels = {"school_name": "学校名", "grade": "学年", "homeroom_teacher": "担任",
                  "situation": "状況", "goal": "支援の目標", "plan": "支援の内容",
                  "evaluation": "評価"}
        fields = {k: forms.text(str(getattr(sheet, k)), v) for k, v in labels.items()}
        at = self._ctx.now()

        def write(conn: Connection, s: str) -> int:
            existing = repo.year_sheet_id(conn, s, number, sheet.school_year)
            if existing is None:
                return repo.insert_year_sheet(conn, s, number, sheet.school_year, fields,
                                              self._actor, at)
            repo.update_fields(conn, s, "case_year_sheets", existing, number,
                               dict(fields), self._actor, at)
            return existing

        sheet_id = self._write(domain, write)
        self._ctx.log("case_change", target=key, pupil_id=pupil_id,
                      detail={"entity": "year_sheet", "school_year": sheet.school_year})
        staff = self._staff()
        rows = self._call(domain, lambda c, s: repo.year_sheets(c, s, number))
        return next(values.year(y, staff) for y in rows if y.id == sheet_id)

    # -- meetings and actions ---------------------------------------------------------------

    def add_meeting(self, key: str, meeting: MeetingInput) -> Meeting:
        """A ケース会議・検討会等記録 with its actions; next review 6 weeks later unless set."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_meeting")
        fields = self._meeting_fields(meeting)
        acts = [self._action_fields(a) for a in meeting.actions]
        unknown = json.dumps(dict(meeting.unknown), ensure_ascii=False)
        at = self._ctx.now()

        def write(conn: Connection, s: str) -> int:
            meeting_id = repo.insert_meeting(conn, s, number, fields, unknown, self._actor, at)
            for what, owner, due, status in acts:
                repo.insert_action(conn, s, number, meeting_id, what, owner, due, status,
                                   self._actor, at)
            return meeting_id

        meeting_id = self._write(domain, write)
        self._ctx.log("case_meeting", target=key, pupil_id=pupil_id,
                      detail={"meeting": meeting_id, "actions": len(acts)})
        return self._meeting_by_id(domain, number, meeting_id)

    def _meeting_by_id(self, domain: CaseDomain, number: int, meeting_id: int) -> Meeting:
        def read(conn: Connection, s: str) -> tuple[list[repo.MeetingRow], list[repo.ActionRow],
                                                     list[repo.ReviewRow]]:
            return (repo.meetings(conn, s, number), repo.actions(conn, s, number),
                    repo.reviews(conn, s, number))
        meetings, actions, reviews = self._call(domain, read)
        staff = self._staff()
        for m in meetings:
            if m.id == meeting_id:
                return values.meeting(m, actions, reviews, staff)
        raise UserFacingError("その会議の記録は見つかりません。")

    def update_meeting(self, key: str, meeting_id: int, meeting: MeetingInput) -> Meeting:
        """Change a meeting's record (not its actions: ``add_action``/``update_action``)."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_meeting")
        fields = self._meeting_fields(meeting)

        def check(conn: Connection, s: str) -> None:
            self._belongs(conn, s, "case_meetings", meeting_id, number)
        self._call(domain, check)
        changed = self._change(domain, "case_meetings", meeting_id, number, fields)
        self._ctx.log("case_meeting", target=key, pupil_id=pupil_id,
                      detail={"meeting": meeting_id, "fields": len(changed)})
        return self._meeting_by_id(domain, number, meeting_id)

    def withdraw_meeting(self, key: str, meeting_id: int, reason: str) -> Meeting:
        """Mark a meeting's record withdrawn (kept, with the reason). Its actions still open
        are withdrawn with it (the same reason, each in the history): a withdrawn meeting
        leaves nothing on anyone's list of things to do."""
        def actions_too(conn: Connection, s: str, number: int, reason: str,
                        at: datetime) -> None:
            for a in repo.actions(conn, s, number):
                if a.meeting_id == meeting_id and ActionStatus(a.status).open:
                    repo.update_fields(conn, s, "case_actions", a.id, number,
                                       {"status": ActionStatus.WITHDRAWN.value,
                                        "status_reason": reason}, self._actor, at, reason)

        return self._withdraw(key, "case_meetings", meeting_id, reason,
                              lambda d, n: self._meeting_by_id(d, n, meeting_id), actions_too)

    def add_action(self, key: str, meeting_id: int, action: ActionInput) -> Action:
        """A further action for a saved meeting (内容, 担当, 期限); each filled field enters
        the history as the meeting's actions did."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_action")
        what, owner, due, status = self._action_fields(action)
        at = self._ctx.now()

        def write(conn: Connection, s: str) -> int:
            self._belongs(conn, s, "case_meetings", meeting_id, number)
            if repo.item_status(conn, s, "case_meetings", meeting_id) == "withdrawn":
                raise UserFacingError("取り下げた会議の記録には、支援を追加できません。")
            return repo.insert_action(conn, s, number, meeting_id, what, owner, due, status,
                                      self._actor, at)

        action_id = self._write(domain, write)
        self._ctx.log("case_action", target=key, pupil_id=pupil_id,
                      detail={"action": action_id})
        return self._action_by_id(domain, number, action_id)

    def _action_by_id(self, domain: CaseDomain, number: int, action_id: int) -> Action:
        rows = self._call(domain, lambda c, s: repo.actions(c, s, number))
        for a in rows:
            if a.id == action_id:
                return values.action(a)
        raise UserFacingError("その支援の手立ては見つかりません。")

    def update_action(self, key: str, action_id: int, action: ActionInput,
                      reason: str = "") -> Action:
        """Change an action (what, owner, due date, status); history kept field by field."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_action")
        what, owner, due, status = self._action_fields(action)
        if status == ActionStatus.WITHDRAWN.value:
            raise UserFacingError("取り下げは「取り下げる」から理由を添えて行ってください。")
        self._call(domain, lambda c, s: self._belongs(c, s, "case_actions", action_id, number))
        changed = self._change(domain, "case_actions", action_id, number,
                               {"what": what, "owner": owner, "due": due, "status": status},
                               forms.text(reason, "理由"))
        self._ctx.log("case_action", target=key, pupil_id=pupil_id,
                      detail={"action": action_id, "fields": len(changed)})
        return self._action_by_id(domain, number, action_id)

    def withdraw_action(self, key: str, action_id: int, reason: str) -> Action:
        return self._withdraw(key, "case_actions", action_id, reason,
                              lambda d, n: self._action_by_id(d, n, action_id))

    def _withdraw(self, key: str, table: str, row_id: int, reason: str,
                  reread: Callable[[CaseDomain, int], T],
                  with_it: Callable[[Connection, str, int, str, datetime], None] | None = None
                  ) -> T:
        """Mark an item withdrawn with the reason, in the history (who, when, why); nothing
        is deleted. ``with_it`` changes what goes with the item, in the same transaction."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_withdraw")
        reason = forms.reason(reason)
        at = self._ctx.now()

        def write(conn: Connection, s: str) -> None:
            self._belongs(conn, s, table, row_id, number)
            if repo.item_status(conn, s, table, row_id) == RecordStatus.WITHDRAWN.value:
                raise UserFacingError("この記録は既に取り下げられています。")
            repo.update_fields(conn, s, table, row_id, number,
                               {"status": "withdrawn", "status_reason": reason},
                               self._actor, at, reason)
            if with_it is not None:
                with_it(conn, s, number, reason, at)

        self._write(domain, write)
        self._ctx.log("case_withdraw", target=key, pupil_id=pupil_id,
                      detail={"entity": repo.ENTITIES[table], "id": row_id})
        return reread(domain, number)

    # -- the review -------------------------------------------------------------------------

    def evidence(self, key: str, meeting_id: int, as_of: date | None = None) -> Evidence:
        """What the data shows since the meeting (attendance, health-room visits, survey
        rounds), from the kinds the reader may see; audit-logged."""
        domain, number, pupil_id = self._open_case(key, "view", "case_evidence")
        meeting = self._meeting_by_id(domain, number, meeting_id)
        found = read_evidence(self._ctx, pupil_id, meeting.held_on,
                              as_of or today(self._ctx.clock))
        self._ctx.log("case_evidence", target=key, pupil_id=pupil_id,
                      detail={"meeting": meeting_id})
        return found

    def record_review(self, key: str, meeting_id: int, review: ReviewInput) -> Review:
        """The review of a meeting: "was it done" and "did it work" are required, for the
        meeting and for each of its actions not withdrawn (``ActionOutcome``); the evidence
        shown beside them is kept with the review as a snapshot."""
        domain, number, pupil_id = self._open_case(key, EDIT, "case_review")
        done, worked = Done(review.done), Worked(review.worked)
        comment = forms.text(review.comment, "振り返りの内容")
        meeting = self._meeting_by_id(domain, number, meeting_id)
        if meeting.status is RecordStatus.WITHDRAWN:
            raise UserFacingError("取り下げた会議の記録は振り返りできません。")
        if meeting.review is not None:
            raise UserFacingError("この会議の振り返りは記録済みです。")
        if review.reviewed_on < meeting.held_on:
            raise UserFacingError("振り返りの日付は会議の開催日より後にしてください。")
        ids = {a.id for a in meeting.actions}
        asked = [a for a in meeting.actions if a.status is not ActionStatus.WITHDRAWN]
        outcomes: list[dict[str, object]] = []
        for o in review.outcomes:
            if o.action_id not in ids:
                raise UserFacingError("この会議の支援の手立てではない項目があります。")
            if any(x["action_id"] == o.action_id for x in outcomes):
                raise UserFacingError("同じ支援の手立ての振り返りが重なっています。")
            outcomes.append({"action_id": o.action_id, "done": Done(o.done).value,
                             "worked": Worked(o.worked).value,
                             "note": forms.text(o.note, "手立ての振り返り")})
        missing = [a for a in asked if all(x["action_id"] != a.id for x in outcomes)]
        if missing:  # per action, as for the meeting: both answers are required
            raise UserFacingError(
                f"会議で決めた支援のうち{len(missing)}件に、「実施したか」と「効果があったか」"
                "が入力されていません。支援ごとに選んでください。")
        found = read_evidence(self._ctx, pupil_id, meeting.held_on, review.reviewed_on)
        at = self._ctx.now()
        review_id = self._write(domain, lambda c, s: repo.insert_review(
            c, s, number, meeting_id, reviewed_on=review.reviewed_on.isoformat(),
            done=done.value, worked=worked.value, comment=comment,
            outcomes_json=json.dumps(outcomes, ensure_ascii=False),
            evidence_json=evidence_to_json(found), by=self._actor, at=at))
        self._ctx.log("case_review", target=key, pupil_id=pupil_id,
                      detail={"meeting": meeting_id, "review": review_id})
        result = self._meeting_by_id(domain, number, meeting_id).review
        assert result is not None
        return result

    # -- notes ------------------------------------------------------------------------------

    def add_note(self, key: str, kind: NoteKind, text: str, written_on: date | None = None
                 ) -> NoteSummary:
        domain, number, pupil_id = self._open_case(key, EDIT, "case_note")
        kind = NoteKind(kind)
        body = forms.text(text, "記録の内容", required=True)
        day = (written_on or today(self._ctx.clock)).isoformat()
        at = self._ctx.now()
        note_id = self._write(domain, lambda c, s: repo.insert_note(
            c, s, number, kind.value, day, body, self._actor, at))
        self._ctx.log("case_note", target=key, pupil_id=pupil_id,
                      detail={"note": note_id, "kind": kind.value})
        return self._note_by_id(domain, number, note_id)

    def _note_row(self, domain: CaseDomain, number: int, note_id: int) -> repo.NoteRow:
        for n in self._call(domain, lambda c, s: repo.notes(c, s, number)):
            if n.id == note_id:
                return n
        raise UserFacingError("その記録は見つかりません。")

    def _note_by_id(self, domain: CaseDomain, number: int, note_id: int) -> NoteSummary:
        return values.note(self._note_row(domain, number, note_id), self._staff())

    def open_note(self, key: str, note_id: int, reason: str) -> str:
        """A note's text. For a restricted note (児童虐待・要保護, 健康・医療) this is the
        deliberate step: the reason is required and written to the audit entry."""
        domain, number, pupil_id = self._open_case(key, "view", "case_note_open")
        row = self._note_row(domain, number, note_id)
        kind = NoteKind(row.kind)
        if kind.restricted:
            reason = forms.reason(reason)
            self._ctx.log("case_note_open", target=key, pupil_id=pupil_id,
                          detail={"note": note_id, "kind": kind.value, "reason": reason})
        else:
            self._ctx.log("case_note_open", target=key, pupil_id=pupil_id,
                          detail={"note": note_id, "kind": kind.value})
        return row.text

    def withdraw_note(self, key: str, note_id: int, reason: str) -> NoteSummary:
        return self._withdraw(key, "case_notes", note_id, reason,
                              lambda d, n: self._note_by_id(d, n, note_id))

    # -- history ----------------------------------------------------------------------------

    def history(self, key: str) -> list[HistoryEntry]:
        """Every change of the case, field by field, oldest first (restricted notes' kinds
        and dates only: their text never enters the history); audit-logged."""
        domain, number, pupil_id = self._open_case(key, "view", "case_history")
        rows = self._call(domain, lambda c, s: repo.history(c, s, number))
        staff = self._staff()
        self._ctx.log("case_history", target=key, pupil_id=pupil_id,
                      detail={"entries": len(rows)})
        return history_entries(rows, staff)

    # -- printing ---------------------------------------------------------------------------

    def meeting_document(self, key: str, meeting_id: int,
                         style: DateStyle = DateStyle.SEIREKI) -> PrintDocument:
        """The meeting's ケース会議・検討会等記録シート (for ``PrintFlow.print_document``)."""
        from toda_desktop.cases.sheet import meeting_sheet

        return meeting_sheet(self.read_case(key), meeting_id, style)

    def support_document(self, key: str, style: DateStyle = DateStyle.SEIREKI
                         ) -> PrintDocument:
        """The case's 児童生徒理解・支援シート (共通シート, 学年別シート, meetings)."""
        from toda_desktop.cases.sheet import support_sheet

        return support_sheet(self.read_case(key), style)

    # -- import -----------------------------------------------------------------------------

    def may_import(self) -> bool:
        """For showing the import screen: case_edit, a domain to record in, and the basic
        register to find the pupils by (every import still asks the gate)."""
        gate = self._ctx.gate
        return (gate.may(EDIT) and bool(self.domains(editable=True))
                and gate.sees(self._ctx.registry.master.name))

    def import_file(self, path: Path, *, domain: CaseDomain | None = None,
                    dry_run: bool = False, progress: Callable[[float], None] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> ImportReport:
        """Import a case-meeting file (ケース会議記録, docs/DATA_FORMAT_CASES.md): each row a
        meeting of a pupil found by 名寄せ, added to the pupil's open case of the row's 領域 (or
        ``domain``), a new case when there is none. A row whose meeting is already recorded
        (or repeats an earlier row) is left out with a warning, so a running spreadsheet can be
        imported again. All or nothing: with any error nothing is written and the report says
        why, row by row (row numbers and headers, never a cell's value). ``dry_run``: check
        only. ``progress`` gets fractions in [0, 1]; when ``cancelled()`` turns true the run
        stops with ``OperationCancelled`` and the transaction is rolled back (nothing written)."""
        from toda_desktop.cases.importer import read_meetings
        from toda_desktop.importing.reference import linkage_reference

        def step(fraction: float) -> None:
            if cancelled is not None and cancelled():
                raise OperationCancelled("取込を中止しました。ケースの記録は変更されていません。")
            if progress is not None:
                progress(fraction)

        ctx = self._ctx
        ctx.gate.require(EDIT)
        if domain is not None:
            self._require(CaseDomain(domain), EDIT)
        master = ctx.registry.master.name
        ctx.gate.require_kind("view", master)
        step(0.0)
        reference = ctx.db.call(linkage_reference, kind=master)
        step(0.2)
        found = read_meetings(Path(path), ctx.registry, reference, default_domain=domain)
        step(0.5)
        errors = list(found.errors)
        errors += [f"{m.row}行目「{m.domain_header}」: {m.domain.label}のケースを記録する権限が"
                   "ないか、鍵をお持ちでありません。"
                   for m in found.meetings if not ctx.gate.sees(m.domain.home_kind)]
        if not sees_former(ctx) and found.meetings:
            gone = ctx.db.call(lambda c: former_among(c, (m.pupil_id for m in found.meetings)))
            errors += [f"{m.row}行目: {DENIED_FORMER}" for m in found.meetings
                       if m.pupil_id in gone]
        meetings, skipped = self._not_yet_recorded(found.meetings)
        warnings = (*found.warnings, *skipped)
        name = Path(path).name
        if errors or dry_run:
            ctx.log("case_import", outcome="failed" if errors else "ok",
                    detail={"file": name, "rows": found.rows, "errors": len(errors),
                            "skipped": len(skipped), "dry_run": dry_run})
            step(1.0)
            return ImportReport(name, found.rows, len(meetings), 0, False, tuple(errors),
                                warnings, self._would_open(meetings), len(skipped))
        prepared = [(m, self._meeting_fields(m.meeting),
                     [self._action_fields(a) for a in m.meeting.actions],
                     json.dumps(dict(m.meeting.unknown), ensure_ascii=False),
                     forms.text(m.title, "件名")) for m in meetings]
        at = ctx.now()

        def write(conn: Connection) -> int:
            opened = 0
            with transaction(conn):
                for n, (m, fields, acts, unknown, title) in enumerate(prepared):
                    step(0.5 + 0.5 * n / len(prepared))
                    s = self._schema(conn, m.domain)
                    open_cases = repo.list_cases(conn, s, statuses=("open",),
                                                 pupil_id=m.pupil_id)
                    if open_cases:
                        number = open_cases[-1].id
                    else:
                        number = repo.insert_case(
                            conn, s, pupil_id=m.pupil_id, domain=m.domain.value,
                            fields={"title": title}, source=CaseSource.IMPORT.value,
                            source_ref=name[:200], by=self._actor, at=at)
                        opened += 1
                    meeting_id = repo.insert_meeting(conn, s, number, fields, unknown,
                                                     self._actor, at)
                    for what, owner, due, status in acts:
                        repo.insert_action(conn, s, number, meeting_id, what, owner, due,
                                           status, self._actor, at)
                step(1.0)  # the last chance to stop: after this the file is in
            return opened

        try:
            opened = ctx.db.call(write, kind=CaseDomain.TRUANCY.home_kind)
        except OperationCancelled:
            ctx.log("case_import", outcome="cancelled", detail={"file": name,
                                                                "rows": found.rows})
            raise
        ctx.log("case_import", detail={"file": name, "rows": found.rows,
                                       "meetings": len(prepared), "cases": opened,
                                       "skipped": len(skipped)})
        for pupil_id in sorted({m.pupil_id for m in meetings}):
            ctx.log("case_meeting", pupil_id=pupil_id, detail={"source": "import"})
        return ImportReport(name, found.rows, len(prepared), opened, True, (), warnings,
                            opened, len(skipped))

    def _not_yet_recorded(self, meetings: Sequence[ImportedMeeting]
                          ) -> tuple[list[ImportedMeeting], list[str]]:
        """The meetings to add, and a warning for each row left out: its meeting (pupil,
        領域, 開催日, 会議の種類) is already recorded, or an earlier row of the file has it. A
        school's running spreadsheet is imported again with new rows; only those are added."""
        def same(pupil_id: int, held: str, kind: str) -> tuple[int, str, str]:
            return pupil_id, held, unicodedata.normalize("NFKC", kind).strip()

        recorded: dict[CaseDomain, set[tuple[int, str, str]]] = {}
        for d in sorted({m.domain for m in meetings}):
            if self._ctx.gate.sees(d.home_kind):
                pupils = [m.pupil_id for m in meetings if m.domain is d]

                def read(c: Connection, s: str, p: list[int] = pupils
                         ) -> set[tuple[int, str, str]]:
                    return repo.recorded_meeting_keys(c, s, p)

                recorded[d] = {same(*k) for k in self._call(d, read)}
        kept: list[ImportedMeeting] = []
        skipped: list[str] = []
        first_row: dict[tuple[CaseDomain, int, str, str], int] = {}
        for m in meetings:
            key = same(m.pupil_id, m.meeting.held_on.isoformat(),
                       m.meeting.meeting_type or "ケース会議")
            if key in recorded.get(m.domain, set()):
                skipped.append(f"{m.row}行目: この児童生徒の{m.domain.label}のケースには、同じ"
                               "開催日・同じ会議の種類の記録が既にあるため、取り込みませんでした。")
            elif (m.domain, *key) in first_row:
                skipped.append(f"{m.row}行目: {first_row[(m.domain, *key)]}行目と同じ児童生徒・"
                               "開催日・会議の種類のため、取り込みませんでした。")
            else:
                first_row[(m.domain, *key)] = m.row
                kept.append(m)
        return kept, skipped

    def _would_open(self, meetings: Sequence[ImportedMeeting]) -> int:
        """How many new cases an import of these meetings would open (the check says it)."""
        opened = 0
        for d in sorted({m.domain for m in meetings}):
            if not self._ctx.gate.sees(d.home_kind):
                continue
            pupils = {m.pupil_id for m in meetings if m.domain is d}
            having = {r.pupil_id for r in self._call(d, lambda c, s: repo.list_cases(
                c, s, statuses=("open",)))}
            opened += len(pupils - having)
        return opened

    # -- drafts -----------------------------------------------------------------------------

    def _meeting_fields(self, m: MeetingInput) -> dict[str, str | None]:
        return forms.meeting_fields(m, today(self._ctx.clock))

    @staticmethod
    def _action_fields(a: ActionInput) -> tuple[str, str, str | None, str]:
        return forms.action_fields(a)

    def _draft_domain(self, domain: CaseDomain) -> None:
        self._require(domain, EDIT)

    @staticmethod
    def _form_key(form_key: str) -> str:
        form_key = form_key.strip()
        if not form_key or len(form_key) > 200:
            raise UserFacingError("下書きの名前が正しくありません。")
        return form_key

    def save_draft(self, domain: CaseDomain, form_key: str, payload: Mapping[str, object],
                   *, case: str | None = None, pupil_id: int | None = None) -> None:
        """Autosave a form's unsaved state (JSON-able values) for the signed-in user, in the
        domain's file. A draft names its pupil — the case's, or ``pupil_id`` for a form of a
        case not yet made — so that the retention purge removes it with the pupil's records;
        it expires after ``DRAFT_KEEP`` (30 days). The first save of a form is logged (never
        its content); later autosaves replace it."""
        self._draft_domain(domain)
        form_key = self._form_key(form_key)
        number = None
        if case is not None:
            d, number = self._key(case)
            if d is not domain:
                raise UserFacingError(NOT_FOUND)
            row = self._call(domain, lambda c, s: self._case_row(c, s, number))
            if pupil_id is not None and pupil_id != row.pupil_id:
                raise UserFacingError(NOT_FOUND)
            pupil_id = row.pupil_id
        elif pupil_id is None:
            raise UserFacingError("下書きの児童生徒が指定されていません。")
        else:
            wanted = pupil_id
            if not self._ctx.db.call(lambda c: repo.pupil_exists(c, wanted)):
                raise UserFacingError("その児童生徒は見つかりません。")
        require_not_former(self._ctx, pupil_id, "case_draft")
        try:
            text = json.dumps(dict(payload), ensure_ascii=False, default=forms.json_default)
        except (TypeError, ValueError):
            raise UserFacingError("下書きに保存できない値があります。") from None
        require_valid_text(text, "下書き")
        if len(text) > 1_000_000:
            raise UserFacingError("下書きが大きすぎます。")
        at = self._ctx.now()
        pupil = pupil_id
        new = self._write(domain, lambda c, s: repo.save_draft(c, s, self._actor, form_key,
                                                               number, pupil, text, at))
        if new:
            self._ctx.log("case_draft", target=case, pupil_id=pupil,
                          detail={"domain": domain.value, "action": "saved"})

    def load_draft(self, domain: CaseDomain, form_key: str) -> Draft | None:
        """The signed-in user's draft of this form (None when there is none)."""
        self._draft_domain(domain)
        form_key = self._form_key(form_key)
        now = self._ctx.now()
        rows = self._call(domain, lambda c, s: repo.drafts(c, s, self._actor, now, form_key))
        if not rows:
            return None
        self._ctx.log("case_draft", detail={"domain": domain.value, "action": "loaded"})
        return self._draft(domain, rows[0])

    @staticmethod
    def _draft(domain: CaseDomain, r: repo.DraftRow) -> Draft:
        return Draft(domain, r.form_key,
                     None if r.case_id is None else case_key(domain, r.case_id),
                     values.moment(r.saved_at), json.loads(r.payload), r.pupil_id,
                     values.moment(r.saved_at) + repo.DRAFT_KEEP)

    def drafts(self) -> list[Draft]:
        """The signed-in user's drafts in every domain they may edit (newest first)."""
        out: list[Draft] = []
        now = self._ctx.now()
        for d in self.domains(editable=True):
            out += [self._draft(d, r) for r in self._call(
                d, lambda c, s: repo.drafts(c, s, self._actor, now))]
        out.sort(key=lambda x: x.saved_at, reverse=True)
        if out:  # a draft holds what was typed about a pupil: listing them is a read
            self._ctx.log("case_draft", detail={"action": "listed", "entries": len(out)})
        return out

    def discard_draft(self, domain: CaseDomain, form_key: str) -> bool:
        """Throw a draft away (after the form was saved or by the user's choice)."""
        self._draft_domain(domain)
        form_key = self._form_key(form_key)
        now = self._ctx.now()
        gone = self._write(domain, lambda c, s: repo.delete_draft(c, s, self._actor, form_key,
                                                                  now))
        if gone:
            self._ctx.log("case_draft", detail={"domain": domain.value, "action": "discarded"})
        return gone


@dataclass(frozen=True)
class ImportReport:
    """What a case-meeting file import did (or, with errors, why nothing was written)."""

    file: str
    rows: int
    meetings: int
    cases_opened: int
    committed: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    new_cases: int = 0  # the cases the import opens (a check: would open)
    skipped: int = 0  # rows left out: their meeting is already recorded (each one warned)


__all__ = ["CaseService", "ImportReport", "meeting_payload"]
