"""Typing and validating the cells of a table, column by column.

Each column type has a scalar parser (text → value, or a Japanese reason why not) that runs
once per *distinct* value of a column (see :func:`analysis.common.map_unique`); the results
are spread back to the rows with numpy. A 700,000-row attendance file has a few hundred
distinct values per column, so parsing is dominated by pandas' factorize.

Rules shared by all types: an empty cell is missing, never 0. A lone dash (-, －, ―) is
treated as missing with a warning (it often means "none", which is not the same as 0).
Full-width digits and letters are read as half-width. A code is any printable text (Japanese
included); only invisible characters are refused, by name. A value outside an optional listed
column (enum) is kept as written and reported once per value; a required one is an error.

Output dtypes: int/school_year/month/grade → Int64; float/percent → Float64; bool → boolean;
date → datetime64[ns]; everything else → string (time as "HH:MM", list as "3,4").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import (
    CancelFn,
    ProgressFn,
    Steps,
    concat_issues,
    empty_issues,
    issues_frame,
    map_unique,
)
from analysis.headers import HeaderMapping
from analysis.names import kana_problem, kana_value, name_problem, normalize_name
from analysis.specs import FLOAT_TYPES, INT_TYPES, ColumnLike
from analysis.textio import RawTable
from analysis.totals import totals_issues, totals_rows
from analysis.wareki import WarekiError, parse_era_date, parse_era_year

if TYPE_CHECKING:
    from analysis.tally import ColumnTally

# (value or None, error reason or None, error code, warning or None)
Result = tuple[Any, str | None, str, str | None]
Parser = Callable[[str], Result]

MISSING: Result = (None, None, "", None)
# Person references that name a pupil by themselves: a row with one of them is never a
# totals row.
ID_REFS = frozenset({"address_code", "pref_id", "google_account"})
_DASH_ONLY = frozenset({"-", "－", "―", "‐", "−", "ー", "—", "–", "ｰ"})
_DASH_WARNING = "「-」は空欄（不明）として扱いました。0 の場合は 0 と入力してください。"

# Excel serial day numbers accepted as dates: 1954-10-03 .. 2099-12-31.
SERIAL_MIN, SERIAL_MAX = 20_000, 73_050
_EXCEL_EPOCH = date(1899, 12, 30)
YEAR_MIN, YEAR_MAX = 1900, 2100
SCHOOL_YEAR_MIN, SCHOOL_YEAR_MAX = 1989, 2100


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _range_error(value: float, col: ColumnLike) -> str | None:
    lo, hi = col.min, col.max
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if lo is not None and hi is not None:
            return f"範囲外の値です（{_fmt_num(lo)}～{_fmt_num(hi)}）。"
        if lo is not None:
            return f"範囲外の値です（{_fmt_num(lo)}以上）。"
        assert hi is not None
        return f"範囲外の値です（{_fmt_num(hi)}以下）。"
    return None


# --------------------------------------------------------------------------------------------
# Numbers

_INT = re.compile(r"^[+-]?\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)$")


def _number_text(s: str) -> str:
    s = s.replace("−", "-").replace("▲", "-").replace("△", "-")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    return s


def parse_int_text(text: str) -> int:
    """'12', '１２', '1,234', '3.0' → int; raises ValueError with a Japanese reason."""
    s = _number_text(_nfkc(text))
    if _INT.match(s):
        return int(s)
    if _DECIMAL.match(s):
        f = float(s)
        if f.is_integer():
            return int(f)
        raise ValueError("整数ではありません。")
    raise ValueError("数値として読めません。")


def parse_float_text(text: str) -> float:
    s = _number_text(_nfkc(text))
    if _DECIMAL.match(s):
        return float(s)
    raise ValueError("数値として読めません。")


def _numeric_parser(col: ColumnLike, convert: Callable[[str], float | int]) -> Parser:
    def parse(text: str) -> Result:
        s = text.strip()
        if not s:
            return MISSING
        if s in _DASH_ONLY:
            return (None, None, "", _DASH_WARNING)
        try:
            value = convert(s)
        except ValueError as exc:
            return (None, str(exc), "type", None)
        problem = _range_error(value, col)
        if problem:
            return (None, problem, "range", None)
        return (value, None, "", None)

    return parse


def _percent(text: str) -> float:
    s = _nfkc(text)
    if s.endswith("%"):
        s = s[:-1].strip()
    return parse_float_text(s)


def _month(text: str) -> int:
    s = _nfkc(text)
    s = re.sub(r"月分?$", "", s).strip()
    if not _INT.match(s):
        raise ValueError("月として読めません（1～12 の数字で入力してください）。")
    m = int(s)
    if not 1 <= m <= 12:
        raise ValueError("月は 1～12 です。")
    return m


_GRADE = re.compile(
    r"^(?:第)?(?P<level>小学校|中学校|小学?|中学?)?(?:第)?(?P<n>\d)(?:学年|年生|年)?$"
)


def parse_grade_text(text: str) -> int:
    """'3', '3年', '小3', '第3学年' → 3; '中1', '中学1年' → 7 (grades run 1..9)."""
    s = _nfkc(text).replace(" ", "")
    m = _GRADE.match(s)
    if m is None:
        raise ValueError("学年として読めません。")
    n = int(m["n"])
    level = m["level"] or ""
    if level.startswith("中"):
        if not 1 <= n <= 3:
            raise ValueError("中学校の学年は 1～3 です。")
        return n + 6
    if level.startswith("小") and not 1 <= n <= 6:
        raise ValueError("小学校の学年は 1～6 です。")
    return n


def parse_school_year_text(text: str) -> int:
    """'2022', '2022年度', '令和4年度', 'R4', 'H31年度' → the school year (年度) as 2022 etc."""
    s = _nfkc(text).upper().replace(" ", "")
    m = re.match(r"^(\d{4})(?:年度|年)?$", s)
    if m:
        y = int(m.group(1))
    elif re.match(r"^(令和|平成|昭和|大正|[RHST])", s):
        try:
            y = parse_era_year(s)
        except WarekiError as exc:
            raise ValueError(str(exc)) from None
    else:
        raise ValueError("年度として読めません（2022 や 令和4年度 のように入力してください）。")
    if not SCHOOL_YEAR_MIN <= y <= SCHOOL_YEAR_MAX:
        raise ValueError("年度が範囲外です。")
    return y


# --------------------------------------------------------------------------------------------
# Dates and times

_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_KANJI_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")
_ERA_START = re.compile(r"^(令和|平成|昭和|大正|[RHST])\s*(元|\d)")
_SHORT_YEAR = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{1,2}$")
_YEAR_LAST = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")
_NO_YEAR = re.compile(r"^\d{1,2}(?:[-/.]|月)\d{1,2}日?$")
_NO_DAY = re.compile(r"^\d{4}(?:[-/.]|年)\d{1,2}月?$")


def _make_date(y: int, m: int, d: int) -> date:
    if not YEAR_MIN <= y <= YEAR_MAX:
        raise ValueError("年が範囲外です。")
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueError("存在しない日付です。") from None


def parse_date_text(text: str) -> date:
    """Read a date as schools write it; raise ValueError with a Japanese reason.

    Accepted: 2022-04-01, 2022/4/1, 2022.4.1, 2022年4月1日, 20220401, 令和4年4月1日, R4.4.1,
    R04/04/01, H31.4.30, 令和元年5月1日, full-width digits, a time part after a date (dropped),
    Excel serial day numbers 20000..73050 (1954..2099). Refused because they cannot be read
    for sure: 2-digit years (12/5/1), day-first or month-first with the year last (1/5/2012),
    dates without year or day.
    """
    s = unicodedata.normalize("NFKC", text).strip().upper().replace(" 00:00:00", "")
    s = re.sub(r"\s+", " ", s)
    compact = s.replace(" ", "")
    m = _ISO.match(s) or _KANJI_DATE.match(compact)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _COMPACT.match(compact)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _ERA_START.match(compact):
        try:
            return parse_era_date(compact)
        except WarekiError as exc:
            raise ValueError(str(exc)) from None
    m = _SERIAL.match(compact)
    if m:
        serial = int(m.group(1))
        if SERIAL_MIN <= serial <= SERIAL_MAX:
            return _EXCEL_EPOCH + timedelta(days=serial)
        raise ValueError("日付として読めません（数値です）。")
    if _SHORT_YEAR.match(compact):
        raise ValueError(
            "年が2桁のため日付を確定できません。西暦4桁（例: 2012/5/1）か和暦（例: R4.5.1）で"
            "入力してください。"
        )
    if _YEAR_LAST.match(compact):
        raise ValueError(
            "年が最後にある日付は月と日の順序を確定できません。2012/5/1 のように年・月・日の順で"
            "入力してください。"
        )
    if _NO_YEAR.match(compact):
        raise ValueError("年がありません。")
    if _NO_DAY.match(compact):
        raise ValueError("日がありません。")
    raise ValueError("日付として読めません。")


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_KANJI_TIME = re.compile(r"^(午前|午後|AM|PM)?(\d{1,2})時(?:(\d{1,2})分)?(?:(\d{1,2})秒)?$")
_HHMM = re.compile(r"^(\d{2})(\d{2})$")
_FRACTION = re.compile(r"^0?\.\d+$")


def parse_time_text(text: str) -> str:
    """'8:30', '08:30:00', '8時30分', '午後1時5分', '0830', Excel's 0.354166… → 'HH:MM'."""
    s = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    hour: int
    minute: int
    m = _CLOCK.match(s)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
    elif (k := _KANJI_TIME.match(s)) is not None:
        hour, minute = int(k.group(2)), int(k.group(3) or 0)
        if k.group(1) in ("午後", "PM"):
            if hour > 12:
                raise ValueError("時刻として読めません。")
            hour = hour % 12 + 12
        elif k.group(1) in ("午前", "AM") and hour == 12:
            hour = 0
    elif (h := _HHMM.match(s)) is not None:
        hour, minute = int(h.group(1)), int(h.group(2))
    elif _FRACTION.match(s):
        total = round(float(s) * 24 * 60)
        hour, minute = divmod(total, 60)
    else:
        raise ValueError("時刻として読めません（8:30 のように入力してください）。")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError("存在しない時刻です。")
    return f"{hour:02d}:{minute:02d}"


def _wrap(convert: Callable[[str], Any]) -> Parser:
    def parse(text: str) -> Result:
        s = text.strip()
        if not s:
            return MISSING
        if s in _DASH_ONLY:
            return (None, None, "", _DASH_WARNING)
        try:
            return (convert(s), None, "", None)
        except ValueError as exc:
            return (None, str(exc), "type", None)

    return parse


# --------------------------------------------------------------------------------------------
# Booleans, enums, codes, lists, e-mail

_TRUE = frozenset(
    {"1", "○", "〇", "◯", "●", "有", "有り", "あり", "はい", "該当", "該当あり", "対象",
     "true", "yes", "y", "t", "レ", "✓", "✔"}
)
_FALSE = frozenset(
    {"0", "×", "✕", "✖", "無", "無し", "なし", "いいえ", "非該当", "該当なし", "対象外",
     "false", "no", "n", "f"}
)


def parse_bool_text(text: str) -> bool:
    s = _nfkc(text).casefold()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError("「はい/いいえ」として読めません（1/0、有/無、○/× などで入力してください）。")


UNKNOWN_VALUE = "unknown_value"  # result code: an optional column's value outside its list


def value_key(text: str) -> str:
    """How enum values are compared: NFKC, no spaces, case folded ('ＳＳＷ ' = 'ssw')."""
    return re.sub(r"\s+", "", _nfkc(text)).casefold()


def known_values_text(col: ColumnLike) -> str:
    return "、".join(col.values)


def _enum_parser(col: ColumnLike, extra: Mapping[str, str] | None = None) -> Parser:
    """Values of the column's list, their registered spellings (``value_synonyms``) and the
    source's own (``extra``: spelling → known value). Anything else is an error in a required
    column and kept as written (NFKC, trimmed) with a warning in an optional one."""
    allowed = {value_key(v): v for v in col.values}
    mapped = {value_key(k): v for k, v in col.value_synonyms} | {
        value_key(k): v for k, v in (extra or {}).items() if v in col.values
    }
    known = known_values_text(col)

    def parse(text: str) -> Result:
        s = text.strip()
        if not s:
            return MISSING
        if s in _DASH_ONLY:
            return (None, None, "", _DASH_WARNING)
        norm = value_key(s)
        if norm in allowed:
            return (allowed[norm], None, "", None)
        if norm in mapped:
            return (mapped[norm], None, "", None)
        if col.required:
            return (None, f"使える値ではありません（{known}）。取込画面で使える値に対応付けることも"
                    "できます。", "enum", None)
        return (_nfkc(s), None, UNKNOWN_VALUE, "unknown")

    return parse


_EXPONENT = re.compile(r"^\d(?:\.\d+)?E[+-]?\d+$", re.IGNORECASE)
_DOT_ZERO = re.compile(r"^\d+\.0+$")
# Names of the invisible characters met in real files (the report shows the cell itself).
_CHARACTER_NAMES = {
    "\t": "タブ", "\n": "改行", "\r": "改行（CR）", "\x00": "NUL 文字", "\u200b": "ゼロ幅スペース",
    "\u200c": "ゼロ幅非接合子", "\u200d": "ゼロ幅接合子", "\u2060": "ワードジョイナー",
    "\ufeff": "BOM（ゼロ幅ノーブレークスペース）", "\u00ad": "ソフトハイフン",
    "\u2028": "行区切り", "\u2029": "段落区切り",
}
_CATEGORY_NAMES = {
    "Cc": "制御文字", "Cf": "書式制御文字", "Co": "外字（私用領域の文字）",
    "Cs": "サロゲート", "Cn": "未定義の文字", "Zl": "行区切り", "Zp": "段落区切り",
}


def describe_character(ch: str) -> str:
    """'U+200B ゼロ幅スペース': how a refused character is named in a message."""
    name = _CHARACTER_NAMES.get(ch) or _CATEGORY_NAMES.get(unicodedata.category(ch), "")
    if not name:
        name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}".rstrip()


def unprintable_character(text: str) -> str | None:
    """The first character of ``text`` that cannot be printed (control, format, private
    use, unassigned), or None."""
    for ch in text:
        if not ch.isprintable():
            return ch
    return None


def _code_text(text: str) -> str:
    """NFKC and trim, refusing what Excel did to a number (exponent, '.0')."""
    s = _nfkc(text)
    if _EXPONENT.match(s):
        raise ValueError(
            "指数表記（例: 1.23E+11）になっていて元の番号が分かりません。Excel で列を「文字列」に"
            "して保存し直してください。"
        )
    if _DOT_ZERO.match(s):
        raise ValueError(
            "小数点付きの数値になっています（先頭の0が失われている可能性があります）。"
        )
    return s


def parse_code_text(text: str) -> str:
    """A code is any printable text (Japanese included, e.g. 'LESSON_わかる'), NFKC and
    trimmed, leading zeros kept; only invisible characters are refused, by name."""
    s = _code_text(text)
    bad = unprintable_character(s)
    if bad is not None:
        raise ValueError(
            f"番号・コードに使えない文字（{describe_character(bad)}）が含まれています。"
        )
    return s


def parse_digits_text(text: str) -> str:
    """A number that must be digits only (宛名番号): '０００１２３' → '000123'."""
    s = _code_text(text)
    bad = next((ch for ch in s if not ("0" <= ch <= "9")), None)
    if bad is not None:
        shown = f"「{bad}」（{describe_character(bad)}）" if bad.isprintable() else \
            f"（{describe_character(bad)}）"
        raise ValueError(f"数字だけの番号です。数字以外の文字{shown}が含まれています。")
    return s


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_email_text(text: str) -> str:
    s = _nfkc(text).lower()
    if not _EMAIL.match(s):
        raise ValueError("メールアドレス（アカウント）として読めません。")
    return s


def parse_list_text(text: str) -> str:
    """'3,4', '３、４', '3・4' → '3,4' (whole numbers)."""
    parts = [p for p in re.split(r"[,、/・\s]+", _nfkc(text)) if p]
    if not parts or not all(_INT.match(p) for p in parts):
        raise ValueError("数字の並び（例: 3,4）として読めません。")
    return ",".join(str(int(p)) for p in parts)


def _name_parser(text: str) -> Result:
    s = text.strip()
    if not s:
        return MISSING
    value = normalize_name(s)
    problem = name_problem(value)
    if problem is None:
        return (value, None, "", None)
    if "外字" in problem:
        return (value, problem, "gaiji", None)
    return (value, None, "", problem)


def _kana_parser(text: str) -> Result:
    s = text.strip()
    if not s:
        return MISSING
    value = kana_value(s)
    problem = kana_problem(value)
    if problem:
        return (None, problem, "type", None)
    return (value, None, "", None)


_PRIVATE = re.compile(r"[\ue000-\uf8ff]")
_TEXT_GAIJI = "外字（私用領域の文字）が含まれています。表示できない可能性があります。"
_TEXT_WIDTHS = re.compile(r"[\uff01-\uff5e\uff61-\uff9f]+")


def _text_parser(text: str) -> Result:
    s = text.strip()
    if not s:
        return MISSING
    s = _TEXT_WIDTHS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), s)
    if _PRIVATE.search(s):
        return (s, None, "", _TEXT_GAIJI)
    return (s, None, "", None)


# A class as schools write it: 「1組」「１組」「5年1組」「01」 are class 1; 「A」「ａ組」 are
# class A組. One stored form per class, so filters and displays (which add 組 to a number)
# see one class, and matching (analysis.linkage) compares the same way.
_GRADE_PREFIX = re.compile(r"^\d+年(?=.)")
_ASCII_LETTERS = re.compile(r"^[A-Za-z]+$")


def normalize_class_name(text: str) -> str:
    """The stored form of a class name: a number without 組 or zeros (「1組」→「1」), a Latin
    letter name upper case with 組 (「a」→「A組」), any other name (「ひまわり」「すみれ学級」)
    as written; NFKC, spaces and a leading 「N年」 removed."""
    s = re.sub(r"\s+", "", _nfkc(text))
    s = _GRADE_PREFIX.sub("", s)
    core = s[:-1] if s.endswith("組") and len(s) > 1 else s
    if core.isascii() and core.isdigit():
        return str(int(core))
    if _ASCII_LETTERS.match(core):
        return core.upper() + "組"
    return s


def _class_parser(text: str) -> Result:
    value, error, code, warning = _text_parser(text)
    if value is None:
        return (value, error, code, warning)
    return (normalize_class_name(str(value)), error, code, warning)


_ANSWER_MAX_CHARS = 50


def _answer_parser(col: ColumnLike) -> Parser:
    """A survey answer: a number (choice 3, score 55, rate 0.83) in its shortest spelling, or
    a category text (満足群). The column's range, when it has one, applies to numbers only:
    instruments differ, so the instrument declaration says what a valid answer is."""

    def parse(text: str) -> Result:
        s = text.strip()
        if not s:
            return MISSING
        if s in _DASH_ONLY:
            return (None, None, "", _DASH_WARNING)
        plain = _number_text(_nfkc(s))
        if _DECIMAL.match(plain) or _INT.match(plain):
            number = float(plain)
            problem = _range_error(number, col)
            if problem:
                return (None, problem, "range", None)
            return (str(int(number)) if number.is_integer() else repr(number), None, "", None)
        value, _, _, warning = _text_parser(s)
        if len(str(value)) > _ANSWER_MAX_CHARS:
            return (None, f"回答が長すぎます（{_ANSWER_MAX_CHARS}文字まで）。数値か区分の名前を"
                          "入れてください。", "type", None)
        return (value, None, "", warning)

    return parse


# How each registry column type is read. Numeric types check the column's range; enums its
# values; the others need nothing from the column.
_NUMERIC_CONVERTERS: dict[str, Callable[[str], float | int]] = {
    "int": parse_int_text, "float": parse_float_text, "percent": _percent, "month": _month,
    "grade": parse_grade_text, "school_year": parse_school_year_text,
}
_COLUMN_FREE_PARSERS: dict[str, Parser] = {
    "date": _wrap(parse_date_text), "time": _wrap(parse_time_text),
    "bool": _wrap(parse_bool_text), "code": _wrap(parse_code_text),
    "digits": _wrap(parse_digits_text),
    "email": _wrap(parse_email_text), "list": _wrap(parse_list_text),
    "name": _name_parser, "kana": _kana_parser, "text": _text_parser,
}


def parser_for(col: ColumnLike, value_map: Mapping[str, str] | None = None) -> Parser:
    """The scalar parser of a column: text → (value, error, error code, warning).

    ``value_map``: the source's own spellings of an enum column's values (spelling → value).
    """
    t = col.type
    if t in _NUMERIC_CONVERTERS:
        return _numeric_parser(col, _NUMERIC_CONVERTERS[t])
    if t == "enum":
        return _enum_parser(col, value_map)
    if t == "answer":
        return _answer_parser(col)
    if t == "text" and "class_name" in (col.ref, col.key):
        return _class_parser
    if t in _COLUMN_FREE_PARSERS:
        return _COLUMN_FREE_PARSERS[t]
    raise ValueError(f"unknown column type {t!r}")


def parse_value(col: ColumnLike, text: str) -> Result:
    """One cell (for tests and single edits): (value, error, error code, warning)."""
    return parser_for(col)(text)


# --------------------------------------------------------------------------------------------
# Whole columns and tables



def _typed(
    col: ColumnLike, values: list[Any], codes: npt.NDArray[np.intp], index: pd.Index
) -> pd.Series:
    t = col.type
    if t in INT_TYPES:
        arr: Any = pd.array(values, dtype="Int64")
    elif t in FLOAT_TYPES:
        arr = pd.array(values, dtype="Float64")
    elif t == "bool":
        arr = pd.array(values, dtype="boolean")
    elif t == "date":
        days = np.array(
            [np.datetime64(v, "D") if v is not None else np.datetime64("NaT") for v in values],
            dtype="datetime64[D]",
        ).astype("datetime64[ns]")
        return pd.Series(days[codes], index=index, name=col.key)
    else:
        arr = pd.array(values, dtype="string")
    return pd.Series(arr.take(codes), index=index, name=col.key)


@dataclass(frozen=True)
class ParsedTable:
    """Typed columns (by key; index = row number in the file) and every finding."""

    frame: pd.DataFrame
    issues: pd.DataFrame

    @property
    def error_rows(self) -> npt.NDArray[np.int64]:
        rows = self.issues.loc[
            (self.issues["severity"] == "error") & self.issues["row"].notna(), "row"
        ]
        return np.sort(pd.unique(rows.to_numpy(dtype=np.int64)))

    @property
    def valid(self) -> pd.Series:
        """True for rows without an error (by position: a file's RangeIndex is not turned
        into an array of its row numbers, which it would keep)."""
        index = self.frame.index
        if not index.is_unique:
            return pd.Series(~index.isin(self.error_rows), index=index)
        ok = np.ones(len(index), dtype=bool)
        at = index.get_indexer(pd.Index(self.error_rows))
        ok[at[at >= 0]] = False
        return pd.Series(ok, index=index)

    @property
    def blocking(self) -> bool:
        """The file has an error that is not tied to one row (missing column, …)."""
        file_level = self.issues["row"].isna() & (self.issues["severity"] == "error")
        return bool(file_level.any())

    def counts(self) -> dict[str, int]:
        sev = self.issues["severity"].value_counts()
        return {
            "rows": len(self.frame),
            "error_rows": len(self.error_rows),
            "errors": int(sev.get("error", 0)),
            "warnings": int(sev.get("warning", 0)),
            "notes": int(sev.get("note", 0)),
        }


def _as_text(texts: pd.Series) -> pd.Series:
    """Cells as text, missing as "". A categorical column of text (as files are read) stays
    one, so a 700,000-row column is not turned into 700,000 Python strings."""
    if isinstance(texts.dtype, pd.CategoricalDtype) and all(
        isinstance(c, str) for c in texts.cat.categories
    ):
        if bool(texts.isna().any()):
            if "" not in texts.cat.categories:
                texts = texts.cat.add_categories([""])
            texts = texts.fillna("")
        return texts
    return texts.fillna("").astype(str)


def parse_column(
    texts: pd.Series,
    col: ColumnLike,
    *,
    header: str | None = None,
    numeric: pd.Series | None = None,
    value_map: Mapping[str, str] | None = None,
    compact: bool = False,
    tally: ColumnTally | None = None,
    cache: dict[str, Result] | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """One column of text → (typed Series, issues). ``numeric``: Excel cells held numbers;
    ``value_map``: the source's own spellings of an enum column's values; ``compact``: the
    typed column as a categorical (see :func:`compact_column`), built from the distinct
    values without a typed value per row in between. ``tally``: the column is one chunk of a
    file's column; the checks that judge the whole column (values outside the list, code
    lengths, percent fractions) add to the tally instead of reporting. ``cache``: each text's
    result, kept across the chunks of a file (a chunk repeats most of the distinct values of
    the one before)."""
    shown = header or col.label
    texts = _as_text(texts)
    parse = parser_for(col, value_map)
    if cache is not None:
        parse = _cached(parse, cache)
    codes, results = map_unique(texts, parse)
    marked = _marks_convention(texts, col, results)
    if marked:
        results = [(False, None, "", None) if r == MISSING else r for r in results]
        if tally is not None:
            tally.add_marks(col, shown, True)
    elif tally is not None and col.type == "bool" and col.required:
        tally.add_marks(col, shown, False)
    values = [r[0] for r in results]
    if compact:
        typed = _compact_typed(col, values, codes, texts.index)
    else:
        typed = _typed(col, values, codes, texts.index)
    issues: list[pd.DataFrame] = []
    errors = np.array([r[1] is not None for r in results], dtype=bool)
    if errors.any():
        rows = np.flatnonzero(errors[codes])
        reasons = np.array([r[1] or "" for r in results], dtype=object)
        kinds = np.array([r[2] for r in results], dtype=object)
        for code in sorted(set(kinds[errors].tolist())):
            sel = rows[kinds[codes[rows]] == code]
            issues.append(
                issues_frame(
                    texts.index[sel], col.key, shown, texts.iloc[sel].tolist(),
                    reasons[codes[sel]], "error", code,
                )
            )
    unknown = np.array([r[2] == UNKNOWN_VALUE for r in results], dtype=bool)
    if unknown.any():
        if tally is not None:
            tally.add_unknown(col, shown, unknown_value_rows(texts.index, codes, results,
                                                             unknown, SHOWN_ROWS + 1))
        else:
            issues.append(_unknown_value_issues(texts.index, codes, results, unknown, col,
                                                shown))
    warnings = np.array([r[3] is not None and r[2] != UNKNOWN_VALUE for r in results],
                        dtype=bool)
    if warnings.any():
        rows = np.flatnonzero(warnings[codes])
        reasons = np.array([r[3] or "" for r in results], dtype=object)
        issues.append(
            issues_frame(
                texts.index[rows], col.key, shown, texts.iloc[rows].tolist(),
                reasons[codes[rows]], "warning", "suspicious",
            )
        )
    if col.required:
        missing = np.array([r[0] is None and r[1] is None for r in results], dtype=bool)
        blank = missing[codes]
        rows = np.flatnonzero(blank)
        if len(rows):
            # Under a filled cell, a blank looks like a merged cell: it is never filled in
            # (only a real merged range of an Excel sheet is), as it may be a slip.
            below_value = np.cumsum(~blank) > 0  # some row above holds a value
            below_value &= np.array([r == MISSING for r in results], dtype=bool)[codes]
            issues.append(
                issues_frame(
                    texts.index[rows], col.key, shown, "",
                    BOOL_BLANK_REASON if col.type == "bool" and not blank.all() else
                    np.where(below_value[rows], MERGED_LOOK_REASON, "必須項目が空欄です。"),
                    "error", "required",
                )
            )
    if marked:
        blank_rows = texts.index[np.flatnonzero(np.array([r == MISSING for r in marked],
                                                         dtype=bool)[codes])]
        if len(blank_rows):
            issues.append(issues_frame(
                [None], col.key, shown, "",
                f"「{shown}」は○の行を該当、空欄の行（{rows_text(list(blank_rows))}、"
                f"{len(blank_rows)}行）を該当しないものとして読みました（○を付ける様式のため）。",
                "note", "marks_blank"))
    if tally is not None:
        tally.add_column(typed, col, shown)
    else:
        if col.type in ("code", "digits"):
            issues.append(_code_length_check(typed, col, shown, numeric))
        if col.type == "percent":
            issues.append(_fraction_check(_own_values(typed), col, shown))
    return typed, concat_issues(issues)


# Marks a survey form puts in a category's box; a column written only with them (and blanks)
# is a form where an empty box means "not this category".
_MARKS = frozenset({"○", "〇", "◯", "●", "レ", "✓", "✔"})


def _marks_convention(texts: pd.Series, col: ColumnLike, results: list[Result]
                      ) -> list[Result] | None:
    """For a required yes/no column written only with ○ marks and blanks (a 長期欠席 survey
    form's 不登校 box): the results before blanks are read as "no"; else None. A column that
    also holds × / 0 / いいえ / 1 / はい keeps blanks unknown (then a blank is an error)."""
    if col.type != "bool" or not col.required or not any(r == MISSING for r in results):
        return None
    _, kinds = map_unique(texts, lambda t: "" if not t.strip() else
                          "mark" if _nfkc(t) in _MARKS else "other")
    if "other" in kinds or "mark" not in kinds:
        return None
    return results


BOOL_BLANK_REASON = (
    "必須項目が空欄です。○だけで書かれた列なら空欄は「該当しない」と読みますが、この列には"
    "×・はい/いいえなども書かれているため、空欄は不明として取り込みません。")
MERGED_LOOK_REASON = (
    "必須項目が空欄です。上の行と同じ値のつもりでも、空欄は入力漏れかもしれないため補いません。"
    "行ごとに値を入れてください（Excel の結合したセルは、先頭のセルの値で読みます）。")


# Distinct texts remembered per column of a file read in chunks (beyond, parsed again).
CACHE_VALUES = 200_000


def _cached(parse: Parser, cache: dict[str, Result]) -> Parser:
    """``parse`` remembering its results in ``cache`` (up to CACHE_VALUES texts)."""

    def cached(text: str) -> Result:
        found = cache.get(text)
        if found is None:
            found = parse(text)
            if len(cache) < CACHE_VALUES:
                cache[text] = found
        return found

    return cached


def _compact_typed(
    col: ColumnLike, values: list[Any], codes: npt.NDArray[np.intp], index: pd.Index
) -> pd.Series:
    """What ``compact_column(_typed(...))`` gives, from the typed distinct values: the row
    codes point at the distinct typed values (two spellings of one value become one)."""
    distinct = _typed(col, values, np.arange(len(values), dtype=np.intp),
                      pd.RangeIndex(len(values)))
    to_value, categories = pd.factorize(distinct, use_na_sentinel=True)
    small: npt.NDArray[np.signedinteger[Any]] = to_value.astype(
        np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767
        else np.int32)
    return pd.Series(pd.Categorical.from_codes(small[codes], categories=categories),
                     index=index, name=col.key, copy=False)


def _own_values(series: pd.Series) -> pd.Series:
    """A compact (categorical) column back in its own type, for checks that compare values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(series.cat.categories.dtype)
    return series


SHOWN_ROWS = 10


def rows_text(rows: Sequence[int]) -> str:
    """'5、8、13行目' (at most SHOWN_ROWS numbers, then 'ほか')."""
    shown = "、".join(str(r) for r in rows[:SHOWN_ROWS])
    return shown + ("行目ほか" if len(rows) > SHOWN_ROWS else "行目")


def _unknown_value_issues(
    index: pd.Index, codes: npt.NDArray[np.intp], results: list[Result],
    unknown: npt.NDArray[np.bool_], col: ColumnLike, shown: str,
) -> pd.DataFrame:
    """One warning per value outside an optional column's list, with its count and rows:
    100,000 rows of 「頭痛」 are one line of the report, not 100,000."""
    return unknown_value_frame(col, shown, unknown_value_rows(index, codes, results, unknown))


def unknown_value_rows(
    index: pd.Index, codes: npt.NDArray[np.intp], results: list[Result],
    unknown: npt.NDArray[np.bool_], shown_rows: int | None = None,
) -> dict[str, tuple[int, list[int]]]:
    """Per value outside the list: (rows holding it, its first ``shown_rows`` rows, or all)."""
    rows_by_value: dict[str, list[int]] = {}
    positions = np.flatnonzero(unknown[codes])
    for pos in positions.tolist():
        rows_by_value.setdefault(str(results[codes[pos]][0]), []).append(int(index[pos]))
    return {v: (len(rows), rows[:shown_rows] if shown_rows is not None else rows)
            for v, rows in rows_by_value.items()}


def unknown_value_frame(
    col: ColumnLike, shown: str, by_value: Mapping[str, tuple[int, list[int]]]
) -> pd.DataFrame:
    """The warnings for values outside a listed column: most frequent first, each with its
    count and first rows."""
    values = sorted(by_value, key=lambda v: (-by_value[v][0], v))
    reasons = [
        f"「{v}」は{shown}の登録された値（{known_values_text(col)}）にないため、書かれたとおり取り込みます"
        f"（{by_value[v][0]:,}行: {_rows_then_more(by_value[v][1], by_value[v][0])}）。"
        "取込画面で登録された値に対応付けることもできます。"
        for v in values
    ]
    return issues_frame([None] * len(values), col.key, shown, values, reasons, "warning",
                        UNKNOWN_VALUE)


def _rows_then_more(rows: Sequence[int], count: int) -> str:
    """:func:`rows_text` of the first rows of ``count`` rows."""
    shown = "、".join(str(r) for r in rows[:SHOWN_ROWS])
    return shown + ("行目ほか" if count > SHOWN_ROWS else "行目")


_ALL_DIGITS = re.compile(r"\d+")


def _code_length_check(
    typed: pd.Series, col: ColumnLike, shown: str, numeric: pd.Series | None
) -> pd.DataFrame:
    """Codes that look like they lost leading zeros (typed as numbers in Excel): the rule of
    :func:`short_code_issues` on the column's own lengths, plus a count of cells that were
    numbers in the file."""
    compact = typed if isinstance(typed.dtype, pd.CategoricalDtype) else typed.astype("category")
    out = [short_code_issues(compact, col, shown, digit_code_lengths(compact))]
    if numeric is not None:
        was_number = numeric.reindex(typed.index)[typed.notna()]
        count = int(was_number.fillna(False).astype(bool).sum())
        if count:
            out.append(
                issues_frame(
                    [None], col.key, shown, "",
                    f"{count}件が数値として入力されています。先頭の0が失われている場合は、列を"
                    "「文字列」にして入力し直してください。",
                    "warning", "numeric_code",
                )
            )
    return concat_issues(out)


def _fraction_check(typed: pd.Series, col: ColumnLike, shown: str) -> pd.DataFrame:
    present = typed.dropna()
    if not len(present):
        return empty_issues()
    return fraction_issue(len(present), float(present.max()), int((present > 0).sum()), col,
                          shown)


def fraction_issue(
    present: int, largest: float, positive: int, col: ColumnLike, shown: str
) -> pd.DataFrame:
    """A percent column whose values are all at most 1 (``present`` values, the largest,
    how many above 0): probably fractions written for percents."""
    if present >= 3 and largest <= 1.0 and positive >= 3:
        return issues_frame(
            [None], col.key, shown, "",
            "すべての値が 1 以下です。割合が小数（0.125 = 12.5%）で入力されている可能性があります。"
            "％の数値で入力してください。",
            "warning", "fraction_percent",
        )
    return empty_issues()


def digit_code_lengths(typed: pd.Series) -> dict[int, int]:
    """Rows per length of a compact code column's codes made only of digits (each distinct
    code judged once)."""
    codes = typed.cat.codes.to_numpy()
    present = codes >= 0
    if not present.any():
        return {}
    per_code = np.bincount(codes[present], minlength=len(typed.cat.categories))
    out: dict[int, int] = {}
    for value, rows in zip(typed.cat.categories, per_code.tolist(), strict=True):
        text = str(value)
        if rows and _ALL_DIGITS.fullmatch(text) is not None:
            out[len(text)] = out.get(len(text), 0) + int(rows)
    return out


def short_code_issues(
    typed: pd.Series, col: ColumnLike, shown: str, lengths: Mapping[int, int]
) -> pd.DataFrame:
    """Codes made of digits shorter than the column's usual length (at least 5 such codes,
    80% of them of that length), in a compact column or one chunk of a file, judged by the
    whole column's ``lengths`` (:func:`digit_code_lengths`, summed over the chunks)."""
    n_digits = sum(lengths.values())
    if n_digits < 5:
        return empty_issues()
    best = max(lengths.values())
    mode = min(length for length, rows in lengths.items() if rows == best)
    if best / n_digits < 0.8:
        return empty_issues()
    uniques = list(typed.cat.categories)
    short = np.array([_ALL_DIGITS.fullmatch(str(u)) is not None and len(str(u)) < mode
                      for u in uniques] + [False], dtype=bool)
    codes = typed.cat.codes.to_numpy()
    rows = np.flatnonzero(short[codes])
    if not len(rows):
        return empty_issues()
    return issues_frame(
        typed.index[rows], col.key, shown, [uniques[c] for c in codes[rows]],
        f"桁数が他の行（{mode}桁）より少なく、先頭の0が失われている可能性があります。",
        "warning", "short_code",
    )


def parse_columns(
    texts: pd.DataFrame,
    columns: Sequence[ColumnLike],
    *,
    headers: Mapping[str, str] | None = None,
    numeric: pd.DataFrame | None = None,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    compact: bool = False,
    tally: ColumnTally | None = None,
    caches: dict[str, dict[str, Result]] | None = None,
) -> ParsedTable:
    """Type every column of ``texts`` (columns named by key) that ``columns`` describes.

    ``headers`` gives the file's header text per key (used in reports); ``numeric`` (same
    shape as ``texts``) marks Excel cells that held numbers; ``value_maps`` holds the
    source's own spellings of enum values per column key. ``compact``: each typed column is
    kept as a categorical of its typed values once checked (a large file's columns repeat
    their values: a month takes one byte a row instead of nine).
    """
    steps = Steps(progress, cancel)
    steps.report(0.0)
    todo = [c for c in columns if c.key in texts.columns]
    typed: dict[str, pd.Series] = {}
    issues: list[pd.DataFrame] = []
    for i, col in enumerate(todo):
        series, found = parse_column(
            texts[col.key], col,
            header=(headers or {}).get(col.key),
            numeric=None if numeric is None or col.key not in numeric else numeric[col.key],
            value_map=(value_maps or {}).get(col.key), compact=compact, tally=tally,
            cache=None if caches is None else caches.setdefault(col.key, {}),
        )
        typed[col.key] = compact_column(series) if compact else series
        issues.append(found)
        steps.report((i + 1) / max(1, len(todo)))
    frame = pd.DataFrame(typed, index=texts.index, copy=False)
    return ParsedTable(frame=frame, issues=concat_issues(issues))


def compact_column(series: pd.Series) -> pd.Series:
    """The same values as a categorical (its categories keep the column's type)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniques), index=series.index,
                     name=series.name)


def parse_table(
    raw: RawTable,
    mapping: HeaderMapping,
    columns: Sequence[ColumnLike],
    *,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    compact: bool = False,
    tally: ColumnTally | None = None,
    caches: dict[str, dict[str, Result]] | None = None,
) -> ParsedTable:
    """Type and validate a file read by :func:`analysis.textio.read_table`.

    The issues include what reading found (ragged rows, control characters), the header
    mapping's errors (file-level, ``row`` missing), the totals rows left out (one note each)
    and every cell's problem. With ``tally``, ``raw`` is one chunk of a file: the findings
    about the whole file (header, columns, whole-column checks) go to the tally, which
    reports them once after the last chunk (:meth:`ColumnTally.issues`).
    """
    id_positions = [
        mapping.positions[c.key] for c in columns
        if c.ref in ID_REFS and c.key in mapping.positions
    ]
    totals = totals_rows(raw.frame, id_positions)
    body = raw.frame.drop(index=totals) if len(totals) else raw.frame
    texts = pd.DataFrame(
        {key: body[pos] for key, pos in mapping.positions.items()}, index=body.index,
        copy=False,
    )
    numeric = None
    if raw.numeric is not None:
        numeric = pd.DataFrame(
            {
                key: raw.numeric[pos].reindex(body.index)
                for key, pos in mapping.positions.items()
                if pos in raw.numeric.columns
            },
            index=body.index,
        )
    headers = {key: raw.headers[pos] or mapping.labels.get(key, key) for key, pos in
               mapping.positions.items()}
    parsed = parse_columns(
        texts, columns, headers=headers, numeric=numeric, value_maps=value_maps,
        progress=progress, cancel=cancel, compact=compact, tally=tally, caches=caches,
    )
    if tally is not None:
        tally.add_table(raw, mapping)
        return ParsedTable(frame=parsed.frame, issues=concat_issues(
            [raw.issues, totals_issues(raw.frame, totals), parsed.issues]))
    unnamed = unnamed_with_values(raw, mapping)
    return ParsedTable(
        frame=parsed.frame,
        issues=concat_issues(
            [raw.issues, column_issues(raw.headers, mapping, unnamed),
             totals_issues(raw.frame, totals), parsed.issues]
        ),
    )


def unnamed_with_values(raw: RawTable, mapping: HeaderMapping) -> list[int]:
    """Positions without a header that hold a value in some row of ``raw``."""
    return [
        p for p in mapping.unknown
        if not raw.headers[p] and p in raw.frame.columns and (raw.frame[p] != "").any()
    ]


def column_issues(
    headers: Sequence[str], mapping: HeaderMapping, unnamed: Sequence[int]
) -> pd.DataFrame:
    """The file's findings about its columns: the header mapping's errors, headers not
    imported (a note each) and columns without a header that hold values (``unnamed``)."""
    header_issues = issues_frame(
        [None] * len(mapping.errors), None, None, "", list(mapping.errors), "error", "header"
    )
    unknown = [p for p in mapping.unknown if headers[p]]
    unnamed_issues = issues_frame(
        [None] * len(unnamed), None, None, "",
        [f"{p + 1}列目は見出しがないため取り込みません（値が入っています）。" for p in unnamed],
        "warning", "unnamed_column",
    )
    unknown_issues = issues_frame(
        [None] * len(unknown), None, None, "",
        [f"見出し「{headers[p]}」は対応する列がないため取り込みません。" for p in unknown],
        "note", "unknown_column",
    )
    return concat_issues([header_issues, unknown_issues, unnamed_issues])


# --------------------------------------------------------------------------------------------
# Duplicates


BLANK_KEY = ""  # a blank key part equals another blank one (the store: ifnull(col, ''))


def _key_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return BLANK_KEY
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))  # 1.0 and 1 are one number, as in the store
    return str(value)


def blank_equal_key(frame: pd.DataFrame, key: Sequence[str]) -> pd.Series:
    """One 64-bit key per row for ``key``, equal where the store's unique index finds the
    rows equal: a missing part reads as BLANK_KEY (ifnull(col, '')), and 1.0 equals 1.

    For equality only (``duplicated``, ``isin``, lookups): each column's distinct values are
    turned into text and hashed once, so 700,000 rows cost 8 bytes each, not a string each."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    for col in key if len(frame) else ():
        codes, uniques = pd.factorize(frame[col].astype(object), use_na_sentinel=True)
        texts = np.array([_key_text(u) for u in uniques] + [BLANK_KEY], dtype=object)
        hashes = np.asarray(pd.util.hash_array(texts, categorize=False), dtype=np.uint64)
        combined = combined * np.uint64(1_000_003) ^ hashes[codes]  # code -1: BLANK_KEY
    return pd.Series(combined, index=frame.index)


def _row_hashes(frame: pd.DataFrame, compare: Sequence[str]) -> pd.Series:
    return pd.util.hash_pandas_object(frame[list(compare)], index=False)


def occurrence_numbers(frame: pd.DataFrame, compare: Sequence[str] | None = None) -> pd.Series:
    """1, 2, … for the rows identical in every ``compare`` column (default: all), in file
    order: the number of a repeated visit, stable when the same file is imported again."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype="int64")
    hashes = _row_hashes(frame, list(compare or frame.columns))
    return hashes.groupby(hashes.to_numpy()).cumcount().astype("int64") + 1


def find_duplicates(
    frame: pd.DataFrame,
    key: Sequence[str],
    *,
    compare: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    keep_repeats: bool = False,
    repeat_hint: str = "",
) -> tuple[pd.Series, pd.DataFrame]:
    """Rows repeating another row: (mask of rows to drop, issues).

    Rows equal in every ``compare`` column (default: all columns) are repeats. Unless
    ``keep_repeats``, all but the first are dropped, each with a note naming the first row and
    the count (``repeat_hint`` is added: how to keep them); kept, each group gets one note.
    Remaining rows that share ``key`` (see :func:`blank_equal_key`) are conflicting
    duplicates: each gets an error naming the others. Blank key parts are compared as
    BLANK_KEY, as the store's unique index compares them, so that what passes here commits.
    The index must hold row numbers. Equality is judged on 64-bit row hashes.
    """
    compare = list(compare or frame.columns)
    drop = pd.Series(False, index=frame.index)
    if frame.empty:
        return drop, empty_issues()
    hashes = _row_hashes(frame, compare)
    exact = hashes.duplicated(keep="first").to_numpy()
    issues: list[pd.DataFrame] = []
    if exact.any():
        groups = pd.Series(np.arange(len(frame))).groupby(hashes.to_numpy())
        first_rows = frame.index.to_numpy()[groups.transform("first").to_numpy()]
        sizes = groups.transform("size").to_numpy()
        if keep_repeats:
            firsts = np.flatnonzero(~exact & (sizes > 1))
            reasons = []
            for pos in firsts.tolist():
                members = frame.index[first_rows == frame.index[pos]].tolist()
                reasons.append(f"同じ内容の行が{sizes[pos]}行あります（{rows_text(members)}）。"
                               "繰り返しの記録として、すべて取り込みます。")
            issues.append(issues_frame(frame.index[firsts], None, None, "", reasons, "note",
                                       "repeated_row"))
        else:
            idx = np.flatnonzero(exact)
            issues.append(issues_frame(
                frame.index[idx], None, None, "",
                [f"{first_rows[i]}行目と同じ内容です（同じ内容の行は{sizes[i]}行）。重複として"
                 f"取り込みません。{repeat_hint}" for i in idx.tolist()],
                "note", "duplicate_row",
            ))
            drop[:] = exact
    rest = frame.loc[~drop.to_numpy()]
    keys = blank_equal_key(rest, list(key))
    if len(rest):
        clash = keys.duplicated(keep=False).to_numpy()
        if clash.any():
            rows = rest.index.to_numpy()[clash]
            groups_of = keys.to_numpy()[clash]
            by_group: dict[str, list[int]] = {}
            for g, r in zip(groups_of.tolist(), rows.tolist(), strict=True):
                by_group.setdefault(str(g), []).append(r)
            names = "・".join((labels or {}).get(k, k) for k in key)
            reasons = []
            for g, r in zip(groups_of.tolist(), rows.tolist(), strict=True):
                others = [o for o in by_group[str(g)] if o != r]
                shown = "、".join(str(o) for o in others[:5]) + ("ほか" if len(others) > 5 else "")
                reasons.append(
                    f"{shown}行目と {names} が同じで内容が異なります。どちらが正しいか"
                    "確認してください。"
                )
            issues.append(
                issues_frame(rows, None, None, "", reasons, "error", "duplicate_conflict")
            )
    return drop, concat_issues(issues)
