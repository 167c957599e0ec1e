"""Support cases as values (issue 14), after MEXT's 児童生徒理解・支援シート (2018).

A case is one pupil in one 領域 (不登校, いじめ, 教育相談). It has a 共通シート (the child, the
family, the support so far), a 学年別シート per school year, and ケース会議・検討会等記録
(meetings with attendees, wishes, assessment and strengths, goals, actions and the next
review). A review answers "was it done" and "did it work" beside the evidence the data shows
since the meeting. Statuses are ``StrEnum``s (stored by value) with Japanese ``label``s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from kernel.school_calendar import SchoolMonth

# The default time from a meeting to its review (MEXT: a plan is checked within weeks).
REVIEW_AFTER = timedelta(weeks=6)


class CaseDomain(StrEnum):
    TRUANCY = "truancy"
    BULLYING = "bullying"
    CONSULTATION = "consultation"

    @property
    def label(self) -> str:
        return {"truancy": "不登校", "bullying": "いじめ", "consultation": "教育相談"}[self.value]

    @property
    def home_kind(self) -> str:
        """The dataset kind whose key group's file holds this domain's cases (and whose
        visibility decides who sees them)."""
        return {"truancy": "long_absence", "bullying": "bullying_records",
                "consultation": "consultations"}[self.value]


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"open": "対応中", "closed": "終結", "withdrawn": "取り下げ"}[self.value]


class CaseSource(StrEnum):
    MANUAL = "manual"
    ALERT = "alert"
    EXTRACTION = "extraction"
    SEARCH = "search"
    IMPORT = "import"

    @property
    def label(self) -> str:
        return {"manual": "新規入力", "alert": "見守りアラート", "extraction": "抽出結果",
                "search": "検索結果", "import": "ファイル取込"}[self.value]


class AttendeeRole(StrEnum):
    HOMEROOM = "担任"
    MANAGEMENT = "管理職"
    GRADE_HEAD = "学年主任"
    COORDINATOR = "生徒指導・教育相談担当"
    NURSE = "養護教諭"
    SC = "SC"
    SSW = "SSW"
    COUNSELLING = "教育相談"
    BOARD = "教育委員会"
    AGENCY = "関係機関"
    GUARDIAN = "保護者"
    CHILD = "本人"
    OTHER = "その他"

    @property
    def label(self) -> str:
        return {"SC": "スクールカウンセラー（SC）",
                "SSW": "スクールソーシャルワーカー（SSW）"}.get(self.value, self.value)


class RecordStatus(StrEnum):
    RECORDED = "recorded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"recorded": "記録済み", "withdrawn": "取り下げ"}[self.value]


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"planned": "未着手", "in_progress": "実施中", "done": "完了", "stopped": "中止",
                "withdrawn": "取り下げ"}[self.value]

    @property
    def open(self) -> bool:
        return self in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class Done(StrEnum):
    """At the review: was it done?"""

    DONE = "done"
    PARTLY = "partly"
    NOT_DONE = "not_done"

    @property
    def label(self) -> str:
        return {"done": "実施できた", "partly": "一部実施できた",
                "not_done": "実施できなかった"}[self.value]


class Worked(StrEnum):
    """At the review: did it work?"""

    WORKED = "worked"
    PARTLY = "partly"
    NOT_WORKED = "not_worked"
    UNCLEAR = "unclear"

    @property
    def label(self) -> str:
        return {"worked": "効果があった", "partly": "一部効果があった",
                "not_worked": "効果がなかった", "unclear": "まだ判断できない"}[self.value]


class NoteKind(StrEnum):
    GENERAL = "general"
    CHILD_PROTECTION = "child_protection"
    HEALTH = "health"

    @property
    def label(self) -> str:
        return {"general": "記録", "child_protection": "児童虐待・要保護",
                "health": "健康・医療"}[self.value]

    @property
    def restricted(self) -> bool:
        """Listed without its text; opened only by a deliberate, logged call with a reason."""
        return self is not NoteKind.GENERAL


# -- the case's reference ------------------------------------------------------------------


def case_key(domain: CaseDomain, number: int) -> str:
    """The one string that names a case across the three files: ``truancy:12``."""
    return f"{domain.value}:{number}"


def parse_case_key(key: str) -> tuple[CaseDomain, int]:
    """(domain, number) of a case key; ValueError when it is not one."""
    domain, _, number = key.partition(":")
    if not number.isdigit():
        raise ValueError(key)
    return CaseDomain(domain), int(number)


def case_label(domain: CaseDomain, number: int) -> str:
    """How staff name a case: 「不登校-0012」."""
    return f"{domain.label}-{number:04d}"


# -- read values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    name: str
    role: AttendeeRole
    organisation: str = ""  # 関係機関: which one (児童相談所, 医療機関…)


@dataclass(frozen=True)
class CaseSummary:
    key: str  # ``truancy:12``
    label: str  # 「不登校-0012」
    domain: CaseDomain
    pupil_id: int
    pupil_name: str
    school_name: str
    grade: int | None
    class_name: str
    title: str
    status: CaseStatus
    source: CaseSource
    source_ref: str  # the alert id, the extraction's name, the search words' summary…
    opened_by: str  # 「氏名（ログインID）」
    opened_at: datetime
    updated_at: datetime
    next_review: date | None
    open_actions: int
    meetings: int
    placement_year: int | None = None  # the school year of school_name/grade/class_name


@dataclass(frozen=True)
class CommonSheet:
    """共通シート: the child (本人の状況・特性・よさ), the family, the support so far."""

    profile: str = ""
    family: str = ""
    support_history: str = ""


@dataclass(frozen=True)
class YearSheet:
    id: int
    school_year: int
    school_name: str
    grade: str
    homeroom_teacher: str
    situation: str  # この年度の状況
    goal: str  # 支援の目標
    plan: str  # 支援の内容・方法
    evaluation: str  # 年度末の評価
    status: RecordStatus
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Action:
    id: int
    meeting_id: int
    what: str
    owner: str
    due: date | None
    status: ActionStatus
    status_reason: str


@dataclass(frozen=True)
class ActionOutcome:
    """One action's answer at the review."""

    action_id: int
    done: Done
    worked: Worked
    note: str = ""


@dataclass(frozen=True)
class MonthAbsence:
    month: SchoolMonth
    absence_days: int | None
    school_days: int | None
    after: bool | None  # after the meeting's month; None: the meeting's own month


@dataclass(frozen=True)
class SurveyRound:
    survey_code: str
    survey_name: str
    school_year: int
    round: int
    first_date: date | None
    positive_share: float | None  # 0–100 %
    after: bool


@dataclass(frozen=True)
class Evidence:
    """What the data shows around a meeting, read only from the kinds the reader may see
    (a part is None when the role does not see its kind or lacks its key; ``withheld`` says
    which in one line)."""

    meeting_on: date
    as_of: date
    absence: tuple[MonthAbsence, ...] | None
    absence_before: float | None  # mean absence days per month, the 3 months before
    absence_after: float | None  # mean absence days per month since the meeting
    health_before: int | None  # health-room visits, the same span before the meeting
    health_after: int | None  # health-room visits since the meeting
    surveys: tuple[SurveyRound, ...] | None
    withheld: str = ""


@dataclass(frozen=True)
class Review:
    id: int
    meeting_id: int
    reviewed_on: date
    done: Done
    worked: Worked
    comment: str
    outcomes: tuple[ActionOutcome, ...]
    evidence: Evidence | None  # the snapshot taken when the review was recorded
    status: RecordStatus
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Meeting:
    id: int
    held_on: date
    meeting_type: str  # ケース会議, 校内支援委員会, 関係機関との連携会議…
    attendees: tuple[Attendee, ...]
    child_wish: str
    guardian_wish: str
    assessment: str
    strengths: str
    long_goal: str
    short_goal: str
    next_review: date | None
    actions: tuple[Action, ...]
    review: Review | None  # the recorded review, if any
    unknown: tuple[tuple[str, str], ...]  # an imported file's columns that fit no field
    status: RecordStatus
    status_reason: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class NoteSummary:
    id: int
    kind: NoteKind
    written_on: date
    author: str
    restricted: bool
    text: str | None  # None for a restricted note: ``open_note`` returns it
    status: RecordStatus
    status_reason: str


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    common: CommonSheet
    years: tuple[YearSheet, ...]
    meetings: tuple[Meeting, ...]
    notes: tuple[NoteSummary, ...]
    status_reason: str
    may_edit: bool


HistoryValue = str | date | None


@dataclass(frozen=True)
class HistoryEntry:
    changed_at: datetime
    changed_by: str  # 「氏名（ログインID）」
    entity: str  # case, year_sheet, meeting, action, review, note
    entity_label: str  # 共通シート, 学年別シート, ケース会議記録, 支援の手立て, 振り返り, メモ
    entity_id: int
    field: str
    field_label: str
    old: HistoryValue  # labels, not codes; a date as a value (the page writes it); None: なし
    new: HistoryValue
    reason: str


@dataclass(frozen=True)
class OpenAction:
    case_key: str
    case_label: str
    action: Action


@dataclass(frozen=True)
class PupilCases:
    """For the karte: the pupil's cases the reader may see, open actions, next review."""

    cases: tuple[CaseSummary, ...]
    open_actions: tuple[OpenAction, ...]
    next_review: date | None
    withheld: str = ""  # one line: case domains left out for want of a key
    pupil_name: str = ""  # for the chooser's title ("" when the role does not see names)


@dataclass(frozen=True)
class DueReview:
    case_key: str
    case_label: str
    domain: CaseDomain
    pupil_id: int
    pupil_name: str
    school_name: str
    meeting_id: int
    held_on: date
    next_review: date
    overdue: bool
    mine: bool  # the reader opened the case or recorded the meeting


@dataclass(frozen=True)
class Draft:
    domain: CaseDomain
    form_key: str
    case_key: str | None
    saved_at: datetime
    payload: Mapping[str, object]
    pupil_id: int | None = None  # None only for a draft saved before drafts named pupils
    expires_at: datetime | None = None  # not offered (and deleted) after this


# -- what a form sends ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActionInput:
    what: str
    owner: str = ""
    due: date | None = None
    status: ActionStatus = ActionStatus.PLANNED


@dataclass(frozen=True)
class MeetingInput:
    held_on: date
    meeting_type: str = "ケース会議"
    attendees: tuple[Attendee, ...] = ()
    child_wish: str = ""
    guardian_wish: str = ""
    assessment: str = ""
    strengths: str = ""
    long_goal: str = ""
    short_goal: str = ""
    next_review: date | None = None  # None: ``held_on`` + 6 weeks
    actions: tuple[ActionInput, ...] = ()  # only for ``add_meeting``
    unknown: tuple[tuple[str, str], ...] = ()  # importer: columns that fit no field

    def review_date(self) -> date:
        return self.next_review or self.held_on + REVIEW_AFTER


@dataclass(frozen=True)
class YearSheetInput:
    school_year: int
    school_name: str = ""
    grade: str = ""
    homeroom_teacher: str = ""
    situation: str = ""
    goal: str = ""
    plan: str = ""
    evaluation: str = ""


@dataclass(frozen=True)
class ReviewInput:
    reviewed_on: date
    done: Done
    worked: Worked
    comment: str = ""
    outcomes: tuple[ActionOutcome, ...] = field(default=())
