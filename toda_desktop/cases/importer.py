"""Reading a case-meeting file (ケース会議記録, docs/DATA_FORMAT_CASES.md) into meetings to store.

The file is read with the product's own pieces: ``analysis.textio.read_table`` (UTF-8 with
or without BOM, CP932, UTF-16, .xlsx; title rows above the header skipped),
``analysis.headers.map_headers`` (header variants, full/half width, 括弧), the registry's
value parsers (和暦 dates, full-width digits, Excel serial dates) and 名寄せ
(``analysis.linkage.link_rows`` against the store's pupils, with remembered decisions), so a
case-meeting file is read exactly like every other file of the interchange format.

One row is one meeting of one pupil. What fits no field is kept with the meeting (a column
the format does not name, an attendee whose role is not one of the list, a due date that
cannot be read) and reported; a row is never dropped. What cannot be stored at all (no date,
no pupil found) is an error, and the whole file is then refused (nothing is written).
Messages name the row (as Excel numbers it) and the file's header, never a cell's value:
they are shown on screen and printed by the command line, where a value about a child does
not belong.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analysis.headers import map_headers
from analysis.linkage import LINKED_METHODS, REF_COLUMNS, link_rows
from analysis.textio import FileReadError, RawTable, read_table
from analysis.values import parser_for
from storage.registry import ColumnSpec, Registry
from toda_desktop.cases.model import (
    ActionInput,
    Attendee,
    AttendeeRole,
    CaseDomain,
    MeetingInput,
)

MAX_ACTIONS = 5
DOMAIN_WORDS = {"不登校": CaseDomain.TRUANCY, "いじめ": CaseDomain.BULLYING,
                "教育相談": CaseDomain.CONSULTATION}
DOMAIN_SYNONYMS = (("不登校支援", "不登校"), ("長期欠席", "不登校"), ("いじめ対応", "いじめ"),
                   ("いじめ問題", "いじめ"), ("相談", "教育相談"), ("教育相談・SC/SSW", "教育相談"))


def _text(key: str, label: str, *synonyms: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(key, label, "text", required=required, synonyms=tuple(synonyms))


def _date(key: str, label: str, *synonyms: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(key, label, "date", required=required, synonyms=tuple(synonyms))


MEETING_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("domain", "領域", "enum", values=tuple(DOMAIN_WORDS),
               value_synonyms=DOMAIN_SYNONYMS, synonyms=("ケースの領域", "分野", "対応区分")),
    ColumnSpec("school_year", "年度", "school_year", ref="school_year",
               synonyms=("年度（西暦）", "対象年度")),
    _date("held_on", "開催日", "会議日", "開催年月日", "実施日", "ケース会議日", required=True),
    _text("meeting_type", "会議の種類", "会議名", "会議種別"),
    _text("title", "件名", "ケース名", "主訴"),
    _text("attendees", "出席者", "参加者", "出席者（役割）", "参加者（役割）"),
    _text("child_wish", "本人の願い", "本人の思い", "本人の希望", "本人の願い・思い"),
    _text("guardian_wish", "保護者の願い", "保護者の思い", "保護者の希望", "保護者の願い・思い"),
    _text("assessment", "見立て", "アセスメント", "見立て（アセスメント）"),
    _text("strengths", "よさ・強み", "本人のよさ", "強み", "ストレングス"),
    _text("long_goal", "長期目標", "長期的な目標"),
    _text("short_goal", "短期目標", "短期的な目標"),
    _date("next_review", "次回振り返り日", "次回の振り返り日", "次回検討日", "振り返り予定日",
          "次回会議予定日"),
    *(spec for i in range(1, MAX_ACTIONS + 1) for spec in (
        _text(f"action{i}", f"手立て{i}", f"支援の手立て{i}", f"支援内容{i}", f"具体的な支援{i}"),
        _text(f"owner{i}", f"担当{i}", f"担当者{i}", f"手立て{i}の担当"),
        _date(f"due{i}", f"期限{i}", f"期日{i}", f"手立て{i}の期限"))),
)

# Attendee words seen in real records → (role, whether the word names an organisation).
ROLE_WORDS: dict[str, tuple[AttendeeRole, bool]] = {
    **{r.value: (r, False) for r in AttendeeRole},
    "学級担任": (AttendeeRole.HOMEROOM, False), "担任教諭": (AttendeeRole.HOMEROOM, False),
    "校長": (AttendeeRole.MANAGEMENT, False), "副校長": (AttendeeRole.MANAGEMENT, False),
    "教頭": (AttendeeRole.MANAGEMENT, False),
    "スクールカウンセラー": (AttendeeRole.SC, False),
    "スクールソーシャルワーカー": (AttendeeRole.SSW, False),
    "生徒指導主事": (AttendeeRole.COORDINATOR, False),
    "教育相談担当": (AttendeeRole.COORDINATOR, False),
    "教育相談員": (AttendeeRole.COUNSELLING, False),
    "指導主事": (AttendeeRole.BOARD, False),
    "母": (AttendeeRole.GUARDIAN, False), "父": (AttendeeRole.GUARDIAN, False),
    "児童相談所": (AttendeeRole.AGENCY, True), "こども家庭センター": (AttendeeRole.AGENCY, True),
    "子ども家庭支援センター": (AttendeeRole.AGENCY, True),
    "医療機関": (AttendeeRole.AGENCY, True), "警察": (AttendeeRole.AGENCY, True),
    "教育支援センター": (AttendeeRole.AGENCY, True), "適応指導教室": (AttendeeRole.AGENCY, True),
    "福祉課": (AttendeeRole.AGENCY, True), "民生委員": (AttendeeRole.AGENCY, True),
}
SEPARATORS = "、,，;；/／\n"
# 「担任・山田」: NFKC turns the half-width ･ into ・; · (U+00B7) stays as it is.
MIDDLE_DOTS = ("・", "·")
# How the name of an organisation ends (「子ども家庭課」「こども発達センター」「戸田警察署」): an
# attendee word not in ROLE_WORDS that ends like this is a 関係機関, the word its 所属.
ORGANISATION_ENDINGS = ("課", "室", "係", "所", "センター", "事務所", "病院", "クリニック", "署",
                        "学校", "委員会", "協議会", "機関", "施設", "部", "局", "園")


@dataclass(frozen=True)
class ImportedMeeting:
    row: int  # the row number as Excel shows it
    domain: CaseDomain
    pupil_id: int
    title: str
    meeting: MeetingInput
    domain_header: str = "領域"  # the file's own header of the 領域 column, for messages


@dataclass(frozen=True)
class ReadResult:
    meetings: tuple[ImportedMeeting, ...]
    errors: tuple[str, ...]  # Japanese, with the row: any error refuses the whole file
    warnings: tuple[str, ...]  # kept and reported
    rows: int


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _organisation(word: str) -> bool:
    return word not in ROLE_WORDS and len(word) > 1 and word.endswith(ORGANISATION_ENDINGS)


def _split_dot(part: str) -> tuple[str, str] | None:
    """「担任・山田」「生徒指導・教育相談担当・伊藤」「子ども家庭課・田中」 → (role word, name):
    the longest part before a middle dot that is a role word or an organisation. None when
    there is none: a name may hold a dot (「マリア・ロドリゲス」)."""
    for i in reversed([i for i, ch in enumerate(part) if ch in MIDDLE_DOTS]):
        head = part[:i].strip()
        if head in ROLE_WORDS or _organisation(head):
            return head, part[i + 1:].strip()
    return None


def _split_brackets(part: str) -> tuple[str, str]:
    """「児童相談所（田中）」「山田（担任）」「子ども家庭課（田中）」 → (role word, name)."""
    first, inner = part[:-1].split("(", 1)
    first, inner = first.strip(), inner.strip()
    if first in ROLE_WORDS:
        return first, inner
    if inner not in ROLE_WORDS and _organisation(first) and not _organisation(inner):
        return first, inner  # 機関（担当者）: an organisation not in the list
    return inner, first  # 氏名（役割）


def parse_attendees(text: str) -> tuple[tuple[Attendee, ...], list[str]]:
    """「担任：山田、SC 佐藤、担任・山田、児童相談所（田中）、子ども家庭課（田中）」 → attendees,
    and the words not understood (kept: the attendee is その他 with the word as its 所属). A
    word not in the list that ends like an organisation (課, センター, 病院 …) is a 関係機関."""
    parts = [text]
    for sep in SEPARATORS:
        parts = [p for part in parts for p in part.split(sep)]
    out: list[Attendee] = []
    unknown: list[str] = []
    for raw in parts:
        part = _nfkc(raw)
        if not part:
            continue
        role_word, name = "", part
        for sep in (":", " ", "\u3000"):
            if sep in part:
                role_word, name = (s.strip() for s in part.split(sep, 1))
                break
        else:
            if part in ROLE_WORDS:
                role_word, name = part, ""
            elif part.endswith(")") and "(" in part:
                role_word, name = _split_brackets(part)
            elif (split := _split_dot(part)) is not None:
                role_word, name = split
        found = ROLE_WORDS.get(role_word)
        if found is None and _organisation(role_word):
            found = (AttendeeRole.AGENCY, True)
        if found is None:
            if role_word:
                unknown.append(role_word)
                out.append(Attendee(name, AttendeeRole.OTHER, role_word))
            else:
                out.append(Attendee(name, AttendeeRole.OTHER))
            continue
        role, organisation = found
        out.append(Attendee(name, role, role_word if organisation else ""))
    return tuple(out), unknown


def _columns(registry: Registry) -> tuple[ColumnSpec, ...]:
    refs = registry.kind("consultations").person_ref_columns if "consultations" in \
        registry.names else registry.master.person_ref_columns
    return (*MEETING_COLUMNS, *refs)


def read_meetings(
    path: Path,
    registry: Registry,
    reference: tuple[pd.DataFrame, pd.DataFrame, Mapping[str, int | None]],
    *,
    default_domain: CaseDomain | None = None,
) -> ReadResult:
    """Read, check and link a case-meeting file; nothing is written here.

    ``reference``: (pupils, enrollments, remembered decisions) as the importer's 名寄せ
    reads them (``toda_desktop.importing.reference.linkage_reference``)."""
    try:
        table = read_table(path)
    except FileReadError as exc:
        return ReadResult((), (str(exc),), (), 0)
    columns = _columns(registry)
    mapping = map_headers(table.headers, columns, pupil=True)
    if not mapping.ok:
        return ReadResult((), mapping.errors, (), table.row_count)
    if "domain" not in mapping.positions and default_domain is None:
        return ReadResult((), ("「領域」の列がありません。列を加えるか、取り込む領域"
                               "（不登校・いじめ・教育相談）を指定してください。",), (),
                          table.row_count)
    return _rows(table, columns, mapping.positions, mapping.unknown, registry, reference,
                 default_domain, path.name)


def _rows(table: RawTable, columns: Sequence[ColumnSpec], positions: Mapping[str, int],
          unknown_positions: Sequence[int], registry: Registry,
          reference: tuple[pd.DataFrame, pd.DataFrame, Mapping[str, int | None]],
          default_domain: CaseDomain | None, source: str) -> ReadResult:
    by_key = {c.key: c for c in columns}
    errors: list[str] = []
    warnings: list[str] = list(table.notes)
    for issue in table.issues.itertuples() if len(table.issues) else ():
        warnings.append(f"{getattr(issue, 'row', '')}行目: {getattr(issue, 'reason', '')}")
    parsed: list[dict[str, object]] = []
    kept: list[dict[str, str]] = []
    ref_rows: list[dict[str, str]] = []
    unknown_headers = [(p, table.headers[p] or f"{p + 1}列目") for p in unknown_positions]
    if unknown_headers:
        warnings.append("形式にない列（" + "、".join(f"「{h}」" for _, h in unknown_headers)
                        + "）の値は、会議の記録の「その他の項目」として残しました。")
    for row_number, cells in table.frame.iterrows():
        values: dict[str, object] = {}
        extra: dict[str, str] = {}
        texts = {key: str(cells[pos]) for key, pos in positions.items()}
        if not any(t.strip() for t in texts.values()):
            continue  # a blank line between records
        for key, text in texts.items():
            col = by_key[key]
            if not text.strip():
                values[key] = None
                continue
            value, error, _code, warning = parser_for(col)(text)
            header = table.headers[positions[key]] or col.label
            if error is not None:
                if col.required or key == "held_on":
                    errors.append(f"{row_number}行目「{header}」: {error}")
                else:
                    extra[header] = text  # kept as written
                    warnings.append(
                        f"{row_number}行目「{header}」: {error}（書かれたまま残しました）")
                values[key] = None
                continue
            if warning:
                warnings.append(f"{row_number}行目「{header}」: {warning}")
            values[key] = value
        for pos, header in unknown_headers:
            text = str(cells[pos]).strip()
            if text:
                extra[header] = text
        parsed.append({"row": row_number, **values})
        kept.append(extra)
        ref_rows.append({k: texts.get(k, "") for k in REF_COLUMNS if k in positions})
    if not parsed:
        return ReadResult((), ("取り込む行がありません。",), tuple(warnings), 0)
    links = _link(parsed, ref_rows, reference, source)
    headers = table.headers
    meetings: list[ImportedMeeting] = []
    for values, extra, (_, link) in zip(parsed, kept, links.iterrows(), strict=True):
        row = int(str(values["row"]))
        held = values.get("held_on")
        if not isinstance(held, date):
            if not any(e.startswith(f"{row}行目「") for e in errors):
                errors.append(f"{row}行目: 開催日がありません。")
            continue
        domain = _domain(values.get("domain"), default_domain, row, extra, errors, warnings)
        if link["method"] not in LINKED_METHODS or pd.isna(link["pupil_id"]):
            reason = str(link["reason"] or "").strip()
            errors.append(f"{row}行目: 児童生徒を特定できません"
                          + (f"（{reason}）。" if reason else "。")
                          + "宛名番号か、年度・学校コード・学年・組・出席番号を確認してください。")
            continue
        if domain is None:
            continue
        attendees, unknown_roles = parse_attendees(str(values.get("attendees") or ""))
        if unknown_roles:
            header = table_header(headers, positions, "attendees", "出席者")
            warnings.append(f"{row}行目「{header}」: 役割が一覧にない出席者（{len(unknown_roles)}"
                            "人）は「その他」とし、書かれた役割を所属として残しました。")
        actions = []
        for i in range(1, MAX_ACTIONS + 1):
            what = str(values.get(f"action{i}") or "").strip()
            if not what:
                continue
            due = values.get(f"due{i}")
            if isinstance(due, date) and due < held:
                header = table_header(headers, positions, f"due{i}", f"期限{i}")
                warnings.append(f"{row}行目「{header}」: 期限が開催日より前の日付です。書かれた"
                                "日付のまま取り込みましたので、確認してください。")
            actions.append(ActionInput(what, str(values.get(f"owner{i}") or ""),
                                       due if isinstance(due, date) else None))
        review = values.get("next_review")
        if isinstance(review, date) and review < held:
            header = table_header(headers, positions, "next_review", "次回振り返り日")
            warnings.append(f"{row}行目「{header}」: 次回振り返り日が開催日より前のため、開催日の"
                            "6週間後としました（書かれた日付は残しました）。")
            extra["次回振り返り日"] = review.isoformat()
            review = None
        meetings.append(ImportedMeeting(
            row=row, domain=domain, pupil_id=int(link["pupil_id"]),
            title=str(values.get("title") or ""),
            domain_header=table_header(headers, positions, "domain", "領域"),
            meeting=MeetingInput(
                held_on=held, meeting_type=str(values.get("meeting_type") or "ケース会議"),
                attendees=attendees, child_wish=str(values.get("child_wish") or ""),
                guardian_wish=str(values.get("guardian_wish") or ""),
                assessment=str(values.get("assessment") or ""),
                strengths=str(values.get("strengths") or ""),
                long_goal=str(values.get("long_goal") or ""),
                short_goal=str(values.get("short_goal") or ""),
                next_review=review if isinstance(review, date) else None,
                actions=tuple(actions), unknown=tuple(extra.items()))))
    return ReadResult(tuple(meetings), tuple(errors), tuple(warnings), len(parsed))


def table_header(headers: Sequence[str], positions: Mapping[str, int], key: str,
                 label: str) -> str:
    """The file's own header of a column (the format's label when it has none)."""
    pos = positions.get(key)
    return (headers[pos] or label) if pos is not None else label


def _domain(value: object, default: CaseDomain | None, row: int, extra: dict[str, str],
            errors: list[str], warnings: list[str]) -> CaseDomain | None:
    if isinstance(value, str) and value in DOMAIN_WORDS:
        return DOMAIN_WORDS[value]
    if value is not None and default is not None:
        extra["領域"] = str(value)
        warnings.append(f"{row}行目「領域」: 一覧にない値のため、指定された領域"
                        f"（{default.label}）として取り込み、書かれた値を残しました。")
        return default
    if default is not None:
        return default
    errors.append(f"{row}行目「領域」: 不登校・いじめ・教育相談のいずれかを入力してください。")
    return None


def _link(parsed: list[dict[str, object]], refs: list[dict[str, str]],
          reference: tuple[pd.DataFrame, pd.DataFrame, Mapping[str, int | None]],
          source: str) -> pd.DataFrame:
    frame = pd.DataFrame(refs, index=[int(str(p["row"])) for p in parsed], dtype=object)
    held = [p.get("held_on") for p in parsed]
    frame["held_on"] = [d.isoformat() if isinstance(d, date) else "" for d in held]
    pupils, enrollments, decisions = reference
    return link_rows(frame, pupils, enrollments, decisions=dict(decisions), source=source,
                     event_date="held_on")
