"""The 名寄せ review queue: rows that could not be linked safely, decided by a person.

A reviewer sees the row and its candidates side by side with the evidence, then confirms a
candidate, picks another pupil, or rejects the row. The decision is remembered by the row's
fingerprint (the next import of the same source links without asking) and audit-logged.

Former pupils (卒業・転出) follow the rule of search and the karte
(``toda_desktop.search.former``): a role whose map lacks ``former_pupils`` does not see who
they are. A late file (last year's attendance arriving after the new register) still needs
its rows linked to pupils who have left, so such a candidate stays in the queue, but without
anything that identifies the pupil (name, kana, birth date, sex, 宛名番号, class): only the
score, the evidence (which fields agree, no values), the years enrolled and the file's own
row numbers. Confirming an offered candidate is allowed; naming a former pupil by 宛名番号 is
refused (logged), as the karte refuses one by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from storage.connection import Connection, transaction
from storage.registry import DatasetKind
from storage.repos import datasets, imports
from storage.repos import review as repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.search.former import former_among, require_not_former, sees_former
from toda_desktop.withheld import ASK_FOR_KEYS

WITHHELD_LABEL = "卒業・転出した児童生徒（この役割では氏名などを表示しません）"
PERSON_FIELDS = ("name", "name_kana", "birth_date", "sex", "address_code", "school_year",
                 "school_code", "grade", "class_name", "seat_number", "pref_id", "google_account")


@dataclass(frozen=True)
class Placement:
    """Where a pupil is enrolled (their latest school year): the screen and the command
    line write it in their date style, and compare it with the file's row field by field."""

    school_year: int
    school_code: str
    school_name: str  # the school code when the school register does not name it
    grade: int | None
    class_name: str
    seat_number: int | None


@dataclass(frozen=True)
class CandidateView:
    pupil_id: int
    score: float
    evidence: str
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    address_code: str
    placement: Placement | None  # None: no enrollment on record
    # Clues that tell two equal scores apart (issue 16):
    years: tuple[int, ...] = ()  # the school years the pupil has an enrollment in
    rows_in_file: int = 0  # rows of the same file already linked to this pupil
    has_same_record: bool = False  # already holds a record with this row's key (a duplicate)
    next_rows: tuple[int, ...] = ()  # the file's rows just above/below linked to this pupil
    # A former pupil this role may not identify: name, kana, birth date, sex, 宛名番号 and
    # placement are left blank (the former-pupil rule).
    withheld: bool = False

    @property
    def label(self) -> str:
        """How the reviewer's choice is named: 「氏名（宛名番号 …）」, or that it is withheld."""
        if self.withheld:
            return WITHHELD_LABEL
        return f"{self.name}（宛名番号 {self.address_code}）"

    def enrolled_in(self, school_year: int) -> bool:
        return school_year in self.years


@dataclass(frozen=True)
class RowValue:
    """One value of the file's row: the column key, its Japanese label, the value as read."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class ReviewItemView:
    id: int
    kind: str
    kind_label: str
    source_name: str
    source_row: int
    reason: str
    person: tuple[RowValue, ...]  # the row's person references (PERSON_FIELDS order)
    data: tuple[RowValue, ...]  # the row's other values
    siblings: int  # other records of the same row and person: one decision settles them all
    candidates: tuple[CandidateView, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _number(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class _Card:
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    address_code: str
    placement: Placement | None = None
    years: tuple[int, ...] = ()


def _pupil_cards(conn: Connection, pupil_ids: list[int]) -> dict[int, _Card]:
    cards: dict[int, _Card] = {}
    for pid, name, kana, birth, sex, code in repo.pupil_identities(conn, pupil_ids):
        cards[int(pid)] = _Card(_text(name), _text(kana), _day(birth), _text(sex),
                                _text(code))
    for pid, year, school_code, school, grade, klass, seat in repo.enrollments(conn, pupil_ids):
        if int(pid) in cards:  # (the latest school year last)
            card = cards[int(pid)]
            card.years = (*card.years, int(year))
            card.placement = Placement(int(year), _text(school_code),
                                                  _text(school), _number(grade), _text(klass),
                                                  _number(seat))
    return cards


def _candidate(pupil_id: int, score: float, evidence: str, card: _Card | None,
               rows_in_file: int = 0, has_same_record: bool = False,
               next_rows: tuple[int, ...] = (), *, withheld: bool = False) -> CandidateView:
    """A candidate with what the register says of them (blank when the pupil is gone, and
    everything identifying blank when ``withheld``: a former pupil this role may not see)."""
    card = card or _Card("", "", None, "", "")
    years = tuple(sorted(set(card.years)))
    if withheld:
        card = _Card("", "", None, "", "")
    return CandidateView(pupil_id, score, evidence, card.name, card.name_kana, card.birth_date,
                         card.sex, card.address_code, card.placement, years, rows_in_file,
                         has_same_record, next_rows, withheld)


def _holds_same_record(conn: Connection, kind: DatasetKind, item: imports.QueueItem,
                       pupil_id: int) -> bool:
    """Whether the pupil already has a stored row with this row's key (e.g. the same month):
    linking the row to them would be a second one."""
    probe = {c.key: item.row.get(c.key) for c in kind.stored_columns}
    return repo.has_row(conn, kind, probe | {"pupil_id": pupil_id})


def _one_per_row(items: list[imports.QueueItem]) -> list[imports.QueueItem]:
    """The first open item of each file row and person: one question, one decision."""
    seen: set[tuple[int, int, str]] = set()
    out = []
    for item in items:
        group = (item.batch_id, item.source_row, item.fingerprint)
        if group not in seen:
            seen.add(group)
            out.append(item)
    return out


class ReviewService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _require(self) -> None:
        """The ``import`` right, and the basic group's key: candidates are pupils of the
        register, whose file is not attached without it (issue 12)."""
        ctx = self._ctx
        ctx.gate.require("import")
        if not ctx.gate.sees(ctx.registry.master.name):
            raise UserFacingError("名寄せ確認には児童生徒基本情報の鍵が必要です。" + ASK_FOR_KEYS)

    def open_count(self) -> int:
        self._ctx.gate.require("import")
        return self._ctx.db.call(imports.count_open)

    def open_items(self) -> list[ReviewItemView]:
        ctx = self._ctx
        self._require()
        visible = [k.name for k in ctx.gate.visible_kinds()]
        result = ctx.db.call(
            lambda c: self._views(c, _one_per_row(imports.open_items(c, visible))))
        ctx.log("review_view",
                detail={"items": len(result)})
        return result

    def open_item(self, item_id: int) -> ReviewItemView | None:
        """One open item as the screen shows it (None when decided, gone or not visible to
        this role), for deciding it from the command line."""
        ctx = self._ctx
        self._require()
        visible = {k.name for k in ctx.gate.visible_kinds()}

        def read(conn: Connection) -> list[ReviewItemView]:
            item = imports.item(conn, item_id)
            if item is None or item.status != "open" or item.kind not in visible:
                return []
            return self._views(conn, [item])

        found = ctx.db.call(read)
        return found[0] if found else None

    def _views(self, conn: Connection, items: list[imports.QueueItem]) -> list[ReviewItemView]:
        ctx = self._ctx
        ids = sorted({int(c["pupil_id"]) for i in items for c in i.candidates})
        cards = _pupil_cards(conn, ids)
        hidden = frozenset() if sees_former(ctx) else former_among(conn, ids)
        views = []
        for item in items:
            kind = ctx.registry.kind(item.kind)
            labels = {c.key: c.label for c in kind.columns}
            person = tuple(RowValue(k, labels.get(k, k), _text(item.row.get(k)))
                           for k in PERSON_FIELDS if item.row.get(k) not in (None, ""))
            data = tuple(RowValue(k, labels.get(k, k), _text(v)) for k, v in item.row.items()
                         if k not in PERSON_FIELDS and v not in (None, ""))
            more = len(imports.siblings(conn, item))
            pupils = [int(c["pupil_id"]) for c in item.candidates]
            in_file = repo.rows_in_batch(conn, kind, item.batch_id, pupils)
            near = repo.neighbours_in_batch(conn, kind, item.batch_id, item.source_row)
            candidates = tuple(
                _candidate(pid, float(c["score"]), str(c["evidence"]), cards.get(pid),
                           in_file.get(pid, 0), _holds_same_record(conn, kind, item, pid),
                           tuple(r for r, p in near if p == pid), withheld=pid in hidden)
                for pid, c in zip(pupils, item.candidates, strict=True)
            )
            views.append(ReviewItemView(item.id, item.kind, kind.label, item.source_name,
                                        item.source_row, item.reason, person, data, more,
                                        candidates))
        return views

    def find_pupil(self, address_code: str) -> int | None:
        """For 'pick another pupil': the pupil with this 宛名番号, if any (a former pupil is
        refused, logged, for a role without the map's setting)."""
        ctx = self._ctx
        self._require()
        found = ctx.db.call(lambda c: repo.pupil_by_address_code(c, address_code.strip()))
        if found is not None:
            require_not_former(ctx, found, "review_find_pupil")
        return found

    def describe_pupil(self, pupil_id: int) -> CandidateView | None:
        """Who a pupil is, for a reviewer who picked another pupil by 宛名番号."""
        ctx = self._ctx
        self._require()
        require_not_former(ctx, pupil_id, "review_find_pupil")
        card = ctx.db.call(lambda c: _pupil_cards(c, [pupil_id])).get(pupil_id)
        if card is None:
            return None
        return _candidate(pupil_id, 0.0, "宛名番号で指定", card)

    def decide(self, item_id: int, pupil_id: int | None) -> None:
        """Link the row to ``pupil_id`` (stored now, in its original batch) or reject it."""
        ctx = self._ctx
        self._require()
        registry = ctx.registry
        now = ctx.clock()
        if pupil_id is not None and not sees_former(ctx):
            offered = ctx.db.call(lambda c: imports.item(c, item_id))
            if offered is None or pupil_id not in {int(c["pupil_id"])
                                                   for c in offered.candidates}:
                # Only a pupil the queue offered (shown without identity) may be former.
                require_not_former(ctx, pupil_id, "review_decision")

        def settle(conn: Connection, item: imports.QueueItem) -> None:
            kind = registry.kind(item.kind)
            if pupil_id is not None:  # stored now, in its original batch (unless there)
                stored = [c.key for c in kind.stored_columns]
                values = [item.row.get(c) for c in stored]
                probe = dict(zip(stored, values, strict=True)) | {"pupil_id": pupil_id}
                if not repo.has_row(conn, kind, probe):
                    datasets.insert_rows(conn, kind, ["pupil_id", *stored, "source_row"],
                                         [(pupil_id, *values, item.source_row)],
                                         batch_id=item.batch_id)
            imports.close_item(conn, item.id, pupil_id, ctx.actor.login_id, at=now)

        def apply(conn: Connection) -> str:
            with transaction(conn):
                item = imports.item(conn, item_id)
                if item is None or item.status != "open":
                    raise UserFacingError("この確認項目は既に処理されています。")
                if pupil_id is not None and not repo.pupil_exists(conn, pupil_id):
                    raise UserFacingError("その児童生徒は見つかりません。")
                for one in [item, *imports.siblings(conn, item)]:  # one row, one person
                    settle(conn, one)
                imports.remember(conn, item.fingerprint, pupil_id, ctx.actor.login_id, at=now)
                return item.kind

        kind_name = ctx.db.call(apply)
        ctx.log(
            "review_decision", target=kind_name, pupil_id=pupil_id,
            detail={"item": item_id, "decision": "link" if pupil_id is not None else "reject"},
        )
