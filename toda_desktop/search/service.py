"""Pupil search (児童生徒検索): one box for names, kana and IDs, with school filters.

What staff type is split into words; a pupil is found when every word matches one of:

* a part of the name (kanji, kana or latin): old and variant kanji folded as in 名寄せ
  (``analysis.names``: 髙→高, 﨑→崎 …, and the loose pairs 斎/斉, 嶋/島 …), hiragana and
  katakana unified, full-width and half-width alike, spaces ignored;
* a part of the kana (氏名カナ), small kana as large, long vowel marks ignored;
* 宛名番号 / 県学調番号 (digits, leading zeros optional, 4+ digits as a prefix) and
  Googleアカウント (with or without the domain) — each only for roles that may see that ID.

Words never reach SQL or FTS5 as syntax: keys keep letters and digits only, are bound as
parameters and quoted as FTS5 phrases. Every search is audit-logged with its filters, the
number of results and a keyed digest of each word, never the words
(``toda_desktop.search.audit_words``).

Former pupils (卒業・転出, ``toda_desktop.search.former``) are found only by roles whose map
entry allows them; those roles see each hit's 在籍状況 (在籍中 / 卒業 / 転出 with the year).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from storage.connection import Connection
from storage.repos import search as repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import SEARCH_RESULTS
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.policy.model import ID_LABELS
from toda_desktop.search.audit_words import log_detail
from toda_desktop.search.former import EnrollmentStatus, sees_former, statuses
from toda_desktop.search.keys import (
    id_forms,
    kana_search_key,
    letters_only,
    name_search_key,
    refresh_pending,
)
from toda_desktop.text_input import require_valid_text
from toda_desktop.withheld import withheld_notice

MAX_QUERY_LENGTH = 100
MAX_TERMS = 6
DEFAULT_LIMIT = 300
MIN_ID_PREFIX = 4

SORT_COLUMNS = {
    "name": "氏名", "name_kana": "カナ", "school": "学校", "grade": "学年",
    "class_name": "組", "seat_number": "番号", "birth_date": "生年月日",
}

_KATAKANA = re.compile(r"^[\u30a1-\u30ff]+$")
_DIGITS = re.compile(r"^[0-9][0-9\-]*$")
_ACCOUNT = re.compile(r"^[a-z0-9._%+\-]+(@[a-z0-9.\-]*)?$|^@[a-z0-9.\-]+$")


def parse_query(text: str, id_kinds: Iterable[str] = tuple(ID_LABELS)) -> list[repo.Term]:
    """The words of a query as search keys. ``id_kinds``: the IDs the role may search by."""
    allowed = set(id_kinds)
    terms = []
    for raw in unicodedata.normalize("NFKC", text).split():
        word = raw.casefold()
        if not letters_only(word):
            continue  # punctuation alone (quotes, operators, dashes) matches nothing
        if _DIGITS.match(word):
            forms = [f for k in ("address_code", "pref_id") for f in id_forms(k, word)]
            kinds = [k for k in ("address_code", "pref_id") if k in allowed]
            digits = word.replace("-", "")
            terms.append(repo.Term(
                ids=tuple((k, f) for k in kinds for f in dict.fromkeys(forms)),
                id_prefixes=tuple((k, digits) for k in kinds)
                if len(digits) >= MIN_ID_PREFIX else (),
            ))
            continue
        name = name_search_key(word)
        kana = kana_search_key(word)
        term = repo.Term(name=name, kana=kana if _KATAKANA.match(kana) else "")
        if _ACCOUNT.match(word) and "google_account" in allowed:
            account = id_forms("google_account", word)
            full = word if "@" in word else account[-1]
            term = replace(
                term,
                ids=tuple(("google_account", f) for f in account),
                id_prefixes=(("google_account", full),) if len(full) >= MIN_ID_PREFIX else (),
            )
        if not term.empty:
            terms.append(term)
    return terms


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    school_year: int | None = None
    school_code: str | None = None
    grade: int | None = None
    class_name: str | None = None

    @property
    def any(self) -> bool:
        return any(v not in (None, "") for v in
                   (self.school_year, self.school_code, self.grade, self.class_name))

    def as_detail(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass(frozen=True)
class PupilHit:
    """One row of the result table (氏名, カナ, 学校, 学年, 組, 番号, 生年月日)."""

    pupil_id: int
    name: str
    name_kana: str
    school_name: str
    school_code: str
    grade: int | None
    class_name: str
    seat_number: int | None
    birth_date: date | None
    sex: str
    school_year: int | None  # the enrollment shown: the filtered year, else the latest
    address_code: str | None  # None when the role may not see it
    exact: bool  # the whole name, kana or ID matched (listed first)
    status: EnrollmentStatus | None = None  # 在籍状況: only for roles that see former pupils

    def sort_key(self, column: str) -> tuple[object, ...]:
        """A key for sorting the table by one of ``SORT_COLUMNS``; blanks sort last."""
        values: dict[str, object] = {
            "name": self.name_kana.replace(" ", ""),  # Japanese names sort by reading
            "name_kana": self.name_kana.replace(" ", ""),
            "school": self.school_code,
            "grade": self.grade,
            "class_name": _class_order(self.class_name),
            "seat_number": self.seat_number,
            "birth_date": self.birth_date,
        }
        value = values[column]
        if value is None or value == "":
            return (1, "")
        if column in ("school", "class_name"):
            return (0, value, self.grade or 0, _class_order(self.class_name), self.seat_number or 0)
        return (0, value)


def _class_order(name: str) -> tuple[int, int, str]:
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


@dataclass(frozen=True)
class SearchResults:
    query: str
    filters: SearchFilters
    hits: tuple[PupilHit, ...]
    truncated: bool  # more pupils matched than are listed: narrow the search
    school_year: int | None  # the year a filter-only search listed (the latest when not given)
    withheld: str = ""  # the role's kinds whose key is not held, left out of the kartes
    shows_status: bool = False  # the role sees former pupils: the 在籍状況 column is shown

    def sorted_by(self, column: str, descending: bool = False) -> SearchResults:
        if column not in SORT_COLUMNS:
            raise KeyError(column)
        blanks = [h for h in self.hits if h.sort_key(column)[0] == 1]
        filled = sorted((h for h in self.hits if h.sort_key(column)[0] == 0),
                        key=lambda h: h.sort_key(column), reverse=descending)
        return replace(self, hits=(*filled, *blanks))


@dataclass(frozen=True)
class SchoolChoice:
    code: str
    name: str
    school_type: str


@dataclass(frozen=True)
class FilterOptions:
    school_years: tuple[int, ...]  # newest first
    schools: tuple[SchoolChoice, ...]
    grades: tuple[int, ...]
    classes: tuple[str, ...]


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class SearchService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def id_kinds(self) -> tuple[str, ...]:
        """The IDs this role may see and search by."""
        return self._ctx.gate.visible_ids()

    def export(
        self, results: SearchResults, path: Path, encoding: str = "utf-8-sig", *,
        overwrite: bool = False, purpose: Purpose | None = None,
    ) -> ExportResult:
        """The result list as shown (only the IDs the role may see), CSV or .xlsx; logged
        before the file is written, its outcome after (``export_log``); identifiable: with
        a purpose (and above the lead's number of pupils, an approval)."""
        ctx = self._ctx
        ctx.gate.require("export")
        with_ids = any(h.address_code is not None for h in results.hits)
        with_status = results.shows_status and sees_former(ctx)
        header = ["氏名", "カナ", "学校", "学年", "組", "番号", "生年月日"]
        header += ["宛名番号"] if with_ids else []
        header += ["在籍状況"] if with_status else []
        rows = [
            [h.name, h.name_kana, h.school_name, h.grade, h.class_name, h.seat_number,
             None if h.birth_date is None else h.birth_date.isoformat()]
            + ([h.address_code] if with_ids else [])
            + ([h.status.label if h.status else ""] if with_status else [])
            for h in results.hits
        ]

        def write() -> ExportResult:
            if path.suffix.lower() == ".xlsx":
                return write_xlsx(path, header, rows, sheet="検索結果", overwrite=overwrite)
            return write_csv(path, header, rows, encoding=encoding, overwrite=overwrite)

        return logged_export(ctx, SEARCH_RESULTS, target="search_results", path=path,
                             rows=len(rows), write=write, overwrite=overwrite,
                             purpose=purpose, pupils=len({h.pupil_id for h in results.hits}))

    def placeholder(self) -> str:
        """What the search box understands, for its placeholder text."""
        return "氏名・カナ（一部でも可）、" + "・".join(ID_LABELS[k] for k in self.id_kinds())

    def search(
        self, query: str, filters: SearchFilters | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> SearchResults:
        ctx = self._ctx
        ctx.gate.require("pupil_search")
        _require_basic_key(ctx)
        filters = filters or SearchFilters()
        require_valid_text(query, "検索語")
        for text in (filters.school_code or "", filters.class_name or ""):
            require_valid_text(text, "絞り込みの条件")
        if len(query) > MAX_QUERY_LENGTH:
            raise UserFacingError(f"検索語が長すぎます（{MAX_QUERY_LENGTH}文字まで）。")
        id_kinds = self.id_kinds()
        former = sees_former(ctx)
        terms = parse_query(query, id_kinds)
        if len(terms) > MAX_TERMS:
            raise UserFacingError(f"検索語は{MAX_TERMS}語までにしてください。")
        words = query.split()
        repo_filters = repo.Filters(
            school_year=filters.school_year,
            school_code=filters.school_code or None,
            grade=filters.grade,
            class_name=filters.class_name or None,
        )

        def run(conn: Connection) -> tuple[list[repo.PupilRow], int | None,
                                           dict[int, EnrollmentStatus]]:
            refresh_pending(conn)
            if words and not terms:
                return [], repo_filters.school_year, {}  # only punctuation: nothing can match
            f = repo_filters
            if not former:
                f = replace(f, former_left_out=repo.latest_school_year(conn))
            if not terms:
                if not f.any:
                    return [], None, {}
                if f.school_year is None:
                    f = replace(f, school_year=repo.latest_school_year(conn))
                    if f.school_year is None:
                        return [], None, {}
            found = repo.search(conn, terms, f, limit + 1)
            shown = statuses(conn, [(r.pupil_id, r.school_year is not None)
                                    for r in found[:limit]]) if former else {}
            return found, f.school_year, shown

        rows, year, status = ctx.db.call(run)
        truncated = len(rows) > limit
        rows = rows[:limit]
        show_address = "address_code" in id_kinds
        hits = tuple(
            PupilHit(
                pupil_id=r.pupil_id, name=r.name, name_kana=r.name_kana,
                school_name=r.school_name or r.school_code or "", school_code=r.school_code or "",
                grade=r.grade, class_name=r.class_name or "", seat_number=r.seat_number,
                birth_date=_date(r.birth_date), sex=r.sex or "", school_year=r.school_year,
                address_code=r.address_code if show_address else None, exact=r.rank == 0,
                status=status.get(r.pupil_id),
            )
            for r in rows
        )
        ctx.log(
            "search", target="pupils",
            detail={**log_detail(ctx, query), "filters": filters.as_detail(),
                    "results": len(hits),
                    "truncated": truncated,
                    **({} if former else {"former_pupils": "left_out"})},
        )
        return SearchResults(query=query, filters=filters, hits=hits, truncated=truncated,
                             school_year=year if not terms else filters.school_year,
                             withheld=withheld_notice(ctx.gate), shows_status=former)

    def filter_options(
        self, school_year: int | None = None, school_code: str | None = None,
        grade: int | None = None,
    ) -> FilterOptions:
        """Choices for the filters (years, schools, grades and classes that exist)."""
        self._ctx.gate.require("pupil_search")
        require_valid_text(school_code or "", "絞り込みの条件")
        _require_basic_key(self._ctx)
        raw = self._ctx.db.call(
            lambda c: repo.filter_choices(c, school_year, school_code or None, grade))
        return FilterOptions(
            school_years=raw.school_years,
            schools=tuple(SchoolChoice(c, n, t) for c, n, t in raw.schools),
            grades=raw.grades,
            classes=raw.classes,
        )


def _require_basic_key(ctx: ServiceContext) -> None:
    """The search index lives in the basic group's file (issue 12): without its key there
    is nothing to search, and the user is told why."""
    if not ctx.gate.sees(ctx.registry.master.name):
        raise UserFacingError("基本情報の鍵をお持ちでないため、検索できません。")
