"""Form layouts as schools fill them in, reshaped to the interchange format's long rows.

Three forms are recognized from a table's headers:

* **months as columns** — a row per pupil and a column per month (4月 … 3月) holding absence
  days, or a block of columns per month (4月授業日数, 4月欠席日数 …, also as a two-row header
  with the month above the measures). Becomes one row per pupil and month with 月.
* **terms as columns** — junior-high attendance per term (1学期 / 2学期 / 3学期, 前期 / 後期)
  with 授業日数 / 欠席日数 … per term. Becomes one row per pupil and term with 学期.
* **wide exports** — one column per item (an instrument's export, a school questionnaire).
  Becomes one row per pupil (or school) and item with 設問コード and 回答.

The reshaped table is a :class:`ReshapedTable`: a :class:`~analysis.textio.RawTable` in
interchange shape whose rows carry numbers of their own (``FIRST_ROW`` upwards, so that they
never pass for file rows) and remember the file row and column group each came from, so that
every finding can be reported against the file as the school sees it (:func:`source_issues`).
Totals rows (合計, 計, 小計, 平均 …), a 授業日数 row giving the school days of every month,
year-total columns and empty months are handled here, each with a note.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.common import concat_issues, empty_issues, issues_frame
from analysis.headers import normalize_header
from analysis.textio import RawTable
from kernel.school_calendar import SCHOOL_MONTHS, month_offset

FIRST_ROW = 1_000_000  # reshaped rows are numbered from here; file rows stay below
MONTHS = "months"
TERMS = "terms"
ITEMS = "items"
TOTAL_WORDS = frozenset(
    normalize_header(w)
    for w in ("合計", "計", "小計", "総計", "平均", "学年計", "学級計", "累計", "年間", "年計",
              "年間計", "年間合計", "全体", "総数", "件数", "人数", "合計人数", "総人数", "延べ",
              "延べ人数", "延べ件数", "延人数", "延件数", "合計件数", "総件数", "実人数")
)
_MONTH_FIRST = re.compile(r"^(?:第)?(\d{1,2})月(?:分)?(?:[(_・:\-/]?(.*?))?\)?$")
_MONTH_LAST = re.compile(r"^(.*?)[(_・:\-/]?(\d{1,2})月(?:分)?\)?$")
_TERM_FIRST = re.compile(r"^(?:第)?([123])学期(?:[(_・:\-/]?(.*?))?\)?$")
_TERM_LAST = re.compile(r"^(.*?)[(_・:\-/]?(?:第)?([123])学期\)?$")
_HALF_FIRST = re.compile(r"^(前期|後期)(?:[(_・:\-/]?(.*?))?\)?$")
_HALF_LAST = re.compile(r"^(.*?)[(_・:\-/]?(前期|後期)\)?$")
_YEAR_PATTERNS = (
    re.compile(r"(令和|平成|R|H)\s*(\d{1,2}|元)\s*年度"),
    re.compile(r"(20\d{2})\s*年度"),
    re.compile(r"(?<![0-9])(令和|R)(\d{1,2}|元)(?![0-9])"),
    re.compile(r"(?<![0-9])(20\d{2})(?![0-9])"),
)
_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"(\d{1,2}|[一二三四五六七八九])"
_ROUND_PATTERNS = (
    re.compile(rf"第\s*{_NUMBER}\s*回"),
    re.compile(rf"(?<![0-9]){_NUMBER}\s*回目"),
)


@dataclass(frozen=True)
class ReshapedTable(RawTable):
    """A form reshaped to long rows. ``source_rows``: reshaped row → file row;
    ``source_groups``: reshaped row → the file's column group (「5月」「2学期」「協働性」);
    ``group_columns``: headers of the reshaped table whose values came from those groups;
    ``absent``: canonical labels of required columns the form has no place for (left
    unknown rather than invented); ``layout``: MONTHS, TERMS or ITEMS."""

    layout: str = ""
    kind: str = ""
    source_rows: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    source_groups: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    group_columns: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class WideForm:
    """How to read one wide form: the kind it becomes and the words of its columns.

    ``measures``: normalized header word → canonical label (授業日数 …) of the values in a
    group; ``default_measure``: the label of a bare group column (「4月」 alone holds absence
    days); ``required``: canonical labels the kind requires; ``year_label``: the kind's 年度
    header; ``key_label``: the header of the new column (月, 学期)."""

    kind: str
    measures: Mapping[str, str]
    default_measure: str
    required: tuple[str, ...]
    key_label: str
    year_label: str = "年度"


@dataclass(frozen=True)
class ItemForm:
    """A wide export of one item per column (an instrument, the school questionnaire).

    ``items``: normalized header → item code; ``keep``: normalized headers that are not
    items (person references, 年度, 回, 実施日 …); ``constants``: columns added to every row
    (調査コード = AIGROW); ``unknown_items``: columns no item names become items named by
    their header (False: they are left out with a note)."""

    kind: str
    name: str
    items: Mapping[str, str]
    keep: frozenset[str]
    constants: Mapping[str, str]
    item_label: str = "設問コード"
    answer_label: str = "回答"
    unknown_items: bool = True
    text_label: str | None = None  # header for the item's text (the file's header), if any
    unit: str = "人"  # what one row of the file is (人, 校)
    low: float | None = None  # valid numbers, when the instrument says
    high: float | None = None
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # item → values
    round_label: str | None = None  # the kind's 回 header, when its answers have rounds
    round_words: frozenset[str] = frozenset()  # normalized headers of a 回 column
    rounds: bool = False  # the instrument is given more than once a year: 回 must be known


# -- headers --------------------------------------------------------------------------------


def month_group(header: str) -> tuple[int, str] | None:
    """「4月」「4月欠席日数」「欠席日数(4月)」 → (4, measure word, normalized) or None."""
    h = normalize_header(header)
    m = _MONTH_FIRST.match(h)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(1)), (m.group(2) or "").strip("()_・:-/")
    m = _MONTH_LAST.match(h)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(2)), m.group(1).strip("()_・:-/")
    return None


def term_group(header: str) -> tuple[str, str] | None:
    """「1学期」「2学期欠席日数」「欠席日数（前期）」 → ("2学期", measure word) or None."""
    h = normalize_header(header)
    for first, last, label in ((_TERM_FIRST, _TERM_LAST, "{}学期"), (_HALF_FIRST, _HALF_LAST,
                                                                      "{}")):
        m = first.match(h)
        if m:
            return label.format(m.group(1)), (m.group(2) or "").strip("()_・:-/")
        m = last.match(h)
        if m:
            return label.format(m.group(2)), m.group(1).strip("()_・:-/")
    return None


def _groups(headers: Sequence[str], layout: str) -> list[tuple[object, str] | None]:
    find: Callable[[str], tuple[object, str] | None] = (
        month_group if layout == MONTHS else term_group)
    return [find(h) if h.strip() else None for h in headers]


def detect_wide(headers: Sequence[str]) -> str | None:
    """MONTHS or TERMS when at least two different months (terms) head columns and no column
    is the long format's own 月 (学期); None otherwise."""
    norms = {normalize_header(h) for h in headers}
    for layout, own in ((MONTHS, ("月", "対象月", "月分")), (TERMS, ("学期", "学期区分"))):
        keys = {g[0] for g in _groups(headers, layout) if g is not None}
        if len(keys) >= 2 and not norms & {normalize_header(o) for o in own}:
            return layout
    return None


_INTEGER = re.compile(r"^(\d{1,2})(?:\.0+)?$")


def months_from_numbers(headers: Sequence[str]) -> tuple[str, ...] | None:
    """Month headers Excel stores as numbers (4, 5, … 3 shown as 「4月」 by the number format
    ``0"月"``, which the reader does not see): a run of the 12 school months 4 … 12, 1 … 3 in
    order becomes 「4月」 … 「3月」. Anything shorter or out of order is left alone, since a
    row of small numbers is more often data than months."""
    numbers: list[int | None] = []
    for h in headers:
        m = _INTEGER.match(unicodedata.normalize("NFKC", h).strip())
        numbers.append(int(m.group(1)) if m else None)
    for start in range(len(numbers) - len(SCHOOL_MONTHS) + 1):
        if tuple(numbers[start:start + len(SCHOOL_MONTHS)]) == SCHOOL_MONTHS:
            out = list(headers)
            for pos in range(start, start + len(SCHOOL_MONTHS)):
                out[pos] = f"{numbers[pos]}月"
            return tuple(out)
    return None


def read_number_months(raw: RawTable) -> RawTable | None:
    """The table with number month headers read as months (see :func:`months_from_numbers`),
    with a note saying so; None when its headers are no such run."""
    headers = months_from_numbers(raw.headers)
    if headers is None or detect_wide(raw.headers) is not None:
        return None
    note = _note([None], "見出しの4〜12、1〜3の数字（Excelで「4月」などと表示される数値）を"
                         "月として読みました。")
    return replace(raw, headers=headers, issues=concat_issues([raw.issues, note]))


def _is_measure(text: str, form: WideForm) -> bool:
    return normalize_header(text) in form.measures


def merge_header_rows(raw: RawTable, form: WideForm, layout: str) -> RawTable | None:
    """A two-row header (the month or term over its measures, the upper cell merged across
    them) read with the upper row as header: combine both rows into one header row."""
    if not len(raw.frame):
        return None
    first = [str(v) for v in raw.frame.iloc[0].tolist()]
    groups = _groups(raw.headers, layout)
    if sum(g is not None for g in groups) < 2:
        return None
    if not any(_is_measure(first[p], form) for p, g in enumerate(groups) if g is not None):
        return None
    headers: list[str] = []
    carry: str | None = None
    for pos, header in enumerate(raw.headers):
        below = first[pos].strip() if pos < len(first) else ""
        if groups[pos] is not None:
            carry = header.strip()
            headers.append(carry + below)
        elif not header.strip() and carry is not None and below:
            headers.append(carry + below)
        else:
            carry = None
            headers.append(header if header.strip() else below)
    frame = raw.frame.iloc[1:]
    numeric = None if raw.numeric is None else raw.numeric.iloc[1:]
    return replace(raw, headers=tuple(headers), frame=frame, numeric=numeric)


def needs_upper_row(raw: RawTable, form: WideForm) -> bool:
    """The header read is a row of measures repeated per month (the months are in the row
    above, which the reader took for a title)."""
    words = [normalize_header(h) for h in raw.headers if h.strip() and _is_measure(h, form)]
    return raw.header_row > 1 and len(words) > len(set(words)) and detect_wide(raw.headers) is None


# -- the year -------------------------------------------------------------------------------


def year_in_text(text: str) -> int | None:
    """令和6年度, R6, 2024年度 or a lone 2024 in a title or file name → 2024."""
    s = unicodedata.normalize("NFKC", text)
    for pattern in _YEAR_PATTERNS:
        m = pattern.search(s)
        if not m:
            continue
        if len(m.groups()) == 1:
            return int(m.group(1))
        era, number = m.group(1), m.group(2)
        return _ERAS[era] + (1 if number == "元" else int(number))
    return None


def round_in_text(text: str) -> int | None:
    """第2回, 第２回, 2回目, 第二回 in a title or file name → 2 (the survey's round)."""
    s = unicodedata.normalize("NFKC", text)
    for pattern in _ROUND_PATTERNS:
        m = pattern.search(s)
        if m:
            number = m.group(1)
            value = _KANJI_DIGITS.get(number) or int(number)
            return value if 1 <= value <= 12 else None
    return None


# -- reshaping ------------------------------------------------------------------------------


def _total_rows(frame: pd.DataFrame, positions: Sequence[int]) -> np.ndarray:
    hit = np.zeros(len(frame), dtype=bool)
    for pos in positions:
        norm = frame[pos].map(lambda v: normalize_header(str(v)) if v else "")
        hit |= norm.isin(TOTAL_WORDS).to_numpy()
    return hit


def _label_rows(frame: pd.DataFrame, positions: Sequence[int], words: set[str]) -> np.ndarray:
    hit = np.zeros(len(frame), dtype=bool)
    for pos in positions:
        norm = frame[pos].map(lambda v: normalize_header(str(v)) if v else "")
        hit |= norm.isin(words).to_numpy()
    return hit


def _year_note(year: int | None, source: str) -> pd.DataFrame:
    """Where the 年度 a form lacks was taken from, or that it could not be."""
    if year is not None:
        return _note([None], f"年度の列がないため、{source}の「{year}年度」を"
                             "年度として読みました。")
    return _note([None], "年度が分かりません。年度の列を加えるか、表題かファイル名に"
                         "年度（例: 令和6年度）を入れてください。", "error", "layout_year")


def _note(rows: Sequence[int | None], reason: str, severity: str = "note",
          code: str = "layout") -> pd.DataFrame:
    return issues_frame(list(rows), None, None, "", reason, severity, code)


def reshape_wide(
    raw: RawTable, form: WideForm, layout: str, *, year: int | None = None,
    year_source: str = "",
) -> ReshapedTable:
    """Reshape a months- or terms-as-columns table (see the module docstring).

    ``year``: the school year found outside the table (title or file name), used when no
    column holds 年度; ``year_source`` says where it was found, for the note.
    """
    groups = _groups(raw.headers, layout)
    group_word = "月" if layout == MONTHS else "学期"
    fixed: list[int] = []
    by_group: dict[object, dict[str, int]] = {}
    skipped: list[str] = []
    totals_cols: list[str] = []
    for pos, header in enumerate(raw.headers):
        g = groups[pos]
        norm = normalize_header(header)
        if g is None:
            if _is_total_header(norm, form):
                totals_cols.append(header)
            elif norm and _is_measure(header, form):
                skipped.append(header)  # a measure without a month: a total of the year
            else:
                fixed.append(pos)
            continue
        key, word = g
        if not word:
            label = form.default_measure
        elif normalize_header(word) in form.measures:
            label = form.measures[normalize_header(word)]
        elif normalize_header(word) in TOTAL_WORDS:
            totals_cols.append(header)
            continue
        else:
            skipped.append(header)
            continue
        by_group.setdefault(key, {})[label] = pos
    keys = [k for k in (_school_order(by_group) if layout == MONTHS else _term_order(by_group))]
    measures = [m for m in dict.fromkeys(lbl for k in keys for lbl in by_group[k])]
    frame = raw.frame
    notes: list[pd.DataFrame] = []
    school_days_label = next((lbl for w, lbl in form.measures.items()
                              if lbl == "授業日数"), None)
    # Rows that are not pupils: totals, and a 授業日数 row giving every month's school days.
    totals = _total_rows(frame, fixed)
    days_words = {w for w, lbl in form.measures.items() if lbl == school_days_label}
    days_row = _label_rows(frame, fixed, days_words) & ~totals
    shared_days: dict[object, str] = {}
    if days_row.any():
        first = frame.loc[days_row].iloc[0]
        for k in keys:
            at = by_group[k].get(form.default_measure)
            if at is not None and str(first[at]).strip():
                shared_days[k] = str(first[at]).strip()
    pupils = frame.loc[~totals & ~days_row]
    headers = [raw.headers[p] for p in fixed]
    norms = {normalize_header(h) for h in headers}
    add_year = normalize_header(form.year_label) not in norms and not any(
        normalize_header(h) in {"年度(西暦)", "対象年度", "実施年度"} for h in headers)
    out_cols: list[list[object]] = [[] for _ in fixed]
    group_col: list[str] = []
    value_cols: dict[str, list[str]] = {m: [] for m in measures}
    if school_days_label is not None and school_days_label not in value_cols and shared_days:
        value_cols[school_days_label] = []
    src_rows: list[int] = []
    src_groups: list[str] = []
    empty_groups = 0
    for row, values in zip(pupils.index.tolist(), pupils.itertuples(index=False, name=None),
                           strict=True):
        for k in keys:
            cells = {m: str(values[p]).strip() for m, p in by_group[k].items()}
            if not any(cells.values()):
                empty_groups += 1
                continue
            for i, p in enumerate(fixed):
                out_cols[i].append(values[p])
            group_col.append(str(k))
            for m in value_cols:
                if m in cells:
                    value_cols[m].append(cells[m])
                elif m == school_days_label:
                    value_cols[m].append(shared_days.get(k, ""))
                else:
                    value_cols[m].append("")
            src_rows.append(int(row))
            src_groups.append(_group_text(k, layout))
    n = len(src_rows)
    new_index = pd.RangeIndex(FIRST_ROW, FIRST_ROW + n, name="row")
    columns: list[list[object]] = list(out_cols)
    new_headers = list(headers)
    if add_year:
        new_headers.append(form.year_label)
        columns.append([str(year) if year is not None else ""] * n)
    new_headers.append(form.key_label)
    columns.append(list(group_col))
    for m, vals in value_cols.items():
        new_headers.append(m)
        columns.append(list(vals))
    absent = tuple(r for r in form.required if r not in new_headers)
    for label in absent:  # present but unknown, so that the kind is still recognized
        new_headers.append(label)
        columns.append([""] * n)
    out = pd.DataFrame({i: pd.array(c, dtype=object) for i, c in enumerate(columns)},
                       index=new_index)
    if n == 0:
        out = pd.DataFrame({i: pd.array([], dtype=object) for i in range(len(new_headers))},
                           index=new_index)
    src = pd.Series(src_rows, index=new_index, dtype="int64")
    filled = len({g for g in src_groups})
    shape = "月が列" if layout == MONTHS else "学期が列"
    notes.append(_note([None], (
        f"{shape}の様式を縦の形（1行に{'1か月' if layout == MONTHS else '1学期'}分）に直して"
        f"読みました: {len(pupils):,}人分の{filled}{'か月' if layout == MONTHS else '学期'}、"
        f"{n:,}行になりました（{'・'.join(measures)}）。"
        "検証結果の行番号と列は元のファイルのものです。")))
    if add_year:
        notes.append(_year_note(year, year_source))
    if totals.any():
        notes.append(_note(frame.index[totals].tolist(),
                           "合計・小計などの集計行のため取り込みません。"))
    if days_row.any():
        notes.append(_note(frame.index[days_row].tolist(),
                           f"{school_days_label}の行として、各{group_word}の授業日数に使いました。"))
    if totals_cols:
        notes.append(_note([None], "年間の合計などの列（" + "、".join(
            f"「{h}」" for h in totals_cols) + "）は集計のため取り込みません。"))
    if skipped:
        notes.append(_note([None], "対応する項目がない列（" + "、".join(
            f"「{h}」" for h in skipped[:8]) + ("ほか" if len(skipped) > 8 else "")
            + "）は取り込みません。", "warning", "layout_column"))
    if empty_groups:
        notes.append(_note([None], f"値がすべて空欄の{group_word}（{empty_groups:,}か所）は、"
                                   "まだ記入されていないものとして取り込みません。"))
    if absent:
        notes.append(_note([None], "この様式には" + "・".join(absent) + "の欄がないため、"
                                   "空欄（不明）として取り込みます。0とはみなしません。",
                           "warning", "layout_absent"))
    issues = concat_issues([_rows_to_new(raw.issues, src), *notes])
    return ReshapedTable(
        headers=tuple(new_headers), frame=out, header_row=raw.header_row,
        source_format=raw.source_format, encoding=raw.encoding, issues=issues, numeric=None,
        sheet=raw.sheet, notes=raw.notes, layout=layout, kind=form.kind, source_rows=src,
        source_groups=pd.Series(src_groups, index=new_index, dtype=object),
        group_columns=tuple(value_cols), absent=absent,
    )


def _is_total_header(norm: str, form: WideForm) -> bool:
    """「計」「年間欠席日数」「欠席日数合計」: a column summing the year, not a month."""
    if norm in TOTAL_WORDS:
        return True
    for word in TOTAL_WORDS:
        if norm.startswith(word) and norm[len(word):] in form.measures:
            return True
        if norm.endswith(word) and norm[: -len(word)] in form.measures:
            return True
    return False


def _school_order(by_group: Mapping[object, object]) -> list[object]:
    return sorted(by_group, key=lambda m: month_offset(int(m)))  # type: ignore[call-overload]


def _term_order(by_group: Mapping[object, object]) -> list[object]:
    order = {"1学期": 0, "前期": 0, "2学期": 1, "後期": 1, "3学期": 2}
    return sorted(by_group, key=lambda t: order.get(str(t), 9))


def _group_text(key: object, layout: str) -> str:
    return f"{key}月" if layout == MONTHS else str(key)


def reshape_items(
    raw: RawTable, form: ItemForm, *, year: int | None = None, year_source: str = "",
    year_label: str = "年度", round_: int | None = None, round_source: str = "",
) -> ReshapedTable:
    """Reshape a wide export (one column per item) to one row per pupil/school and item.

    ``round_``: the round (第2回) found in the title or file name, used when no column holds
    回, so that a second round is not taken for the first; ``round_source`` says where."""
    keep: list[int] = []
    items: list[tuple[int, str]] = []
    left_out: list[str] = []
    for pos, header in enumerate(raw.headers):
        norm = normalize_header(header)
        if not norm:
            continue
        if norm in form.keep:
            keep.append(pos)
        elif norm in form.items:
            items.append((pos, form.items[norm]))
        elif norm in TOTAL_WORDS or not form.unknown_items:
            left_out.append(header)
        else:
            items.append((pos, _item_code(header)))
    frame = raw.frame
    totals = _total_rows(frame, keep)
    rows = frame.loc[~totals]
    headers = [raw.headers[p] for p in keep]
    kept_norms = {normalize_header(h) for h in headers}
    add_year = normalize_header(year_label) not in kept_norms
    add_round = form.round_label is not None and not kept_norms & (
        form.round_words | {normalize_header(form.round_label)})
    columns: list[list[object]] = [[] for _ in keep]
    item_col: list[str] = []
    text_col: list[str] = []
    answer_col: list[str] = []
    src_rows: list[int] = []
    src_groups: list[str] = []
    for row, values in zip(rows.index.tolist(), rows.itertuples(index=False, name=None),
                           strict=True):
        for pos, code in items:
            cell = str(values[pos]).strip()
            if not cell:
                continue
            for i, p in enumerate(keep):
                columns[i].append(values[p])
            item_col.append(code)
            text_col.append(_item_text(raw.headers[pos], code))
            answer_col.append(cell)
            src_rows.append(int(row))
            src_groups.append(raw.headers[pos].strip())
    n = len(src_rows)
    index = pd.RangeIndex(FIRST_ROW, FIRST_ROW + n, name="row")
    new_headers = list(headers)
    data: list[list[object]] = [list(c) for c in columns]
    for label, value in form.constants.items():
        new_headers.append(label)
        data.append([value] * n)
    if add_year:
        new_headers.append(year_label)
        data.append([str(year) if year is not None else ""] * n)
    if add_round and form.round_label is not None:
        new_headers.append(form.round_label)
        data.append([str(round_) if round_ is not None else ""] * n)
    new_headers += [form.item_label]
    data += [list(item_col)]
    if form.text_label is not None:
        new_headers.append(form.text_label)
        data.append(list(text_col))
    new_headers.append(form.answer_label)
    data.append(list(answer_col))
    out = pd.DataFrame({i: pd.array(c, dtype=object) for i, c in enumerate(data)}, index=index)
    src = pd.Series(src_rows, index=index, dtype="int64")
    notes = [_answer_problems(form, index, item_col, answer_col), _note([None], (
        f"{form.name}の様式（1行に1{form.unit}分、設問が列）を縦の形（1行に1設問）に"
        "直して読みました: "
        f"{len(rows):,}行の{len(items)}設問、{n:,}行になりました。"
        "検証結果の行番号と列は元のファイルのものです。"))]
    if add_year:
        notes.append(_year_note(year, year_source))
    if add_round:
        if round_ is not None:
            notes.append(_note([None], f"回の列がないため、{round_source}の「第{round_}回」を"
                                       "回として読みました。"))
        elif form.rounds:
            notes.append(_note([None], (
                f"{form.name}は年に複数回行われますが、何回目の結果かが分かりません"
                "（回の列も、表題・ファイル名の「第1回」「2回目」などもありません）。"
                "回を空欄のまま取り込むと、別の回の結果と同じものとして扱われます。"
                "回の列を加えるか、ファイル名に「第2回」のように回を入れてください。"),
                "warning", "layout_round"))
    if totals.any():
        notes.append(_note(frame.index[totals].tolist(),
                           "合計・平均などの集計行のため取り込みません。"))
    if left_out:
        notes.append(_note([None], "設問ではない列（" + "、".join(
            f"「{h}」" for h in left_out[:8]) + ("ほか" if len(left_out) > 8 else "")
            + f"）は{form.name}の設問にないため、読まずに残しました。", "note",
            "layout_column"))
    issues = concat_issues([_rows_to_new(raw.issues, src), *notes])
    return ReshapedTable(
        headers=tuple(new_headers), frame=out, header_row=raw.header_row,
        source_format=raw.source_format, encoding=raw.encoding, issues=issues, numeric=None,
        sheet=raw.sheet, notes=raw.notes, layout=ITEMS, kind=form.kind, source_rows=src,
        source_groups=pd.Series(src_groups, index=index, dtype=object),
        group_columns=(form.answer_label,),
    )


def _answer_problems(form: ItemForm, index: pd.Index, items: Sequence[str],
                     answers: Sequence[str]) -> pd.DataFrame:
    """Answers the instrument cannot give: a category outside its list, a number outside its
    range (AiGROW 0–100, RST 0–1). Each is an error of its row, reported at the file's cell."""
    rows: list[int] = []
    values: list[str] = []
    reasons: list[str] = []
    for row, item, answer in zip(index.tolist(), items, answers, strict=True):
        allowed = form.categories.get(item)
        text = unicodedata.normalize("NFKC", answer).strip()
        if allowed is not None:
            if text not in allowed:
                rows.append(row)
                values.append(answer)
                reasons.append("区分として読めません（" + "、".join(allowed) + "のいずれか）。")
            continue
        if form.low is None and form.high is None:
            continue
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            rows.append(row)
            values.append(answer)
            reasons.append("数値として読めません。")
            continue
        if (form.low is not None and number < form.low) or (
                form.high is not None and number > form.high):
            rows.append(row)
            values.append(answer)
            reasons.append(f"{form.name}の値は{form.low:g}〜{form.high:g}の範囲です。")
    return issues_frame(rows, None, form.answer_label, values, reasons, "error", "range")


def _item_text(header: str, code: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", header).split())
    rest = text[len(code):].lstrip(" :：.)）") if text.startswith(code) else text
    return rest or text


_LEADING_CODE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_\-.]*)[\s:：.)）]")


def _item_code(header: str) -> str:
    """A column no item names: the code it starts with (「Q1 授業の工夫」 → Q1), else its
    header without spaces."""
    text = unicodedata.normalize("NFKC", header).strip()
    m = _LEADING_CODE.match(text + " ")
    return m.group(1).rstrip(".") if m else "".join(text.split())


# -- back to the file -----------------------------------------------------------------------


def _rows_to_new(issues: pd.DataFrame, src: pd.Series) -> pd.DataFrame:
    """Findings of reading (ragged rows …) apply to every reshaped row of their file row, so
    that a broken row is left out whole; file-level findings stay as they are."""
    if issues.empty:
        return empty_issues()
    by_file_row = pd.Series(src.index, index=src.to_numpy())
    parts = [issues.loc[issues["row"].isna()]]
    tied = issues.loc[issues["row"].notna()]
    for _, issue in tied.iterrows():
        new = by_file_row.loc[by_file_row.index == int(issue["row"])].to_numpy()
        if len(new):
            parts.append(pd.DataFrame([issue] * len(new)).assign(
                row=pd.array(new.tolist(), dtype="Int64")))
    return concat_issues(parts)


_ROW_REF = re.compile(r"(\d{7,})行目")


def source_row_of(table: RawTable, row: int) -> int:
    if isinstance(table, ReshapedTable) and row >= FIRST_ROW and row in table.source_rows.index:
        return int(table.source_rows.loc[row])
    return row


def source_issues(table: RawTable, issues: pd.DataFrame) -> pd.DataFrame:
    """The findings with the file's row numbers and columns: a reshaped row's problem in 欠席日数
    is reported at its file row, in the column 「5月（欠席日数）」; repeats collapse to one."""
    if not isinstance(table, ReshapedTable) or issues.empty:
        return issues
    src, groups = table.source_rows, table.source_groups
    rows = issues["row"]
    mapped = rows.copy()
    present = rows.notna() & rows.isin(src.index)
    mapped.loc[present] = src.reindex(rows.loc[present].astype("int64")).to_numpy()
    out = issues.copy()
    out["row"] = pd.array(mapped.tolist(), dtype="Int64")
    group_cols = set(table.group_columns)
    col = out["column"].copy()
    names = out["column"].tolist()
    row_list = rows.tolist()
    for i in np.flatnonzero(present.to_numpy()).tolist():
        name = names[i]
        group = groups.get(int(row_list[i]))
        if group is None or name not in group_cols:
            continue
        col.iat[i] = f"{group}（{name}）" if name != group else str(group)
    out["column"] = col

    def fix_reason(text: object) -> object:
        if not isinstance(text, str):
            return text
        return _ROW_REF.sub(lambda m: f"{source_row_of(table, int(m.group(1)))}行目", text)

    out["reason"] = out["reason"].map(fix_reason)
    return out.drop_duplicates(
        subset=["row", "column", "value", "reason", "severity", "code"]).reset_index(drop=True)


def source_frame(table: RawTable, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows ready to store, indexed by their file rows (the provenance kept with a record)."""
    if not isinstance(table, ReshapedTable) or frame.empty:
        return frame
    return frame.set_axis(
        [source_row_of(table, int(r)) for r in frame.index], axis=0)


__all__ = ["FIRST_ROW", "ITEMS", "MONTHS", "TERMS", "ItemForm", "ReshapedTable", "WideForm",
           "detect_wide", "merge_header_rows", "month_group", "months_from_numbers",
           "needs_upper_row", "read_number_months", "reshape_items", "reshape_wide",
           "round_in_text", "source_frame", "source_issues", "source_row_of", "term_group",
           "year_in_text"]
