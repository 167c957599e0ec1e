"""Normalizing names and kana: values to store, and keys to match people by.

Two kinds of output:

* **Values** (:func:`normalize_name`, :func:`normalize_kana`) are what is stored: a name keeps
  its kanji exactly (also 髙, 﨑 and variation selectors: they are part of the legal name);
  only full-width latin letters/digits and half-width katakana are converted, and spaces are
  unified (one U+3000 between parts of a name, one ASCII space in kana). Kana becomes
  full-width katakana.
* **Keys** (:func:`name_key`, :func:`kana_key`, and their ``loose_`` forms) are only compared:
  NFKC, variation selectors and every space/separator removed, and forms of the same character
  folded.

The STRICT table folds glyph variants of one and the same character that the offices' systems
commonly cannot type, so a file writes the common form instead: はしご高 髙→高, たつさき 﨑→崎,
嵜→崎, 邊/邉→辺, 齋→斎, 齊→斉, つちよし 𠮷→吉, 濵→濱, 桒→桑. These variants are not in the
joyo/jinmeiyo lists (except 齊, which the issue names explicitly as the old form of 斉), so they
come from old family registers; IPA's 文字情報基盤 縮退マップ maps them onto the common form
for searching. Folding is used for the matching key only, never for a stored value.

The LOOSE table pairs characters that are legally different names although often confused:
斎/斉 (two different characters, both read さい), and pairs where both forms are current name
characters (常用/人名用漢字) so a family may insist on one: 嶋/島, 龍/竜, 澤/沢, 濱/浜, 冨/富,
槇/槙, 曾/曽, 廣/広, 國/国, 櫻/桜, 眞/真, 惠/恵, 實/実, 德/徳. A loose match may raise a
linkage score but never makes an automatic link.
(澤/沢 is the 旧字体/新字体 pair like 齋/斎, but 澤 is a current name character; it is kept
loose on purpose: a wrong automatic link costs more than a review.)

Kana is never derived from kanji (pykakasi reads 山﨑 as やまやま): only the supplied kana is used.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jaconv
import pandas as pd

from analysis.common import unique_map

NAME_SEP = "\u3000"
KANA_SEP = " "

STRICT_VARIANTS: dict[str, str] = {
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "邉": "辺",
    "邊": "辺",
    "齋": "斎",
    "齊": "斉",
    "𠮷": "吉",
    "濵": "濱",
    "桒": "桑",
}
LOOSE_VARIANTS: dict[str, str] = {
    "斎": "斉",
    "嶋": "島",
    "龍": "竜",
    "澤": "沢",
    "濱": "浜",
    "冨": "富",
    "槇": "槙",
    "曾": "曽",
    "廣": "広",
    "國": "国",
    "櫻": "桜",
    "眞": "真",
    "惠": "恵",
    "實": "実",
    "德": "徳",
}
_STRICT = str.maketrans(STRICT_VARIANTS)
_LOOSE = str.maketrans(LOOSE_VARIANTS)
# Variation selectors (standard and ideographic) and joiners: invisible, glyph choice only.
_INVISIBLE = re.compile(r"[\ufe00-\ufe0f\U000e0100-\U000e01ef\u200b-\u200d\u2060\ufeff]")
# Spaces and separators inside a name that carry no identity: spaces, middle dots, equals.
_SEPARATORS = re.compile(r"[\s\u3000・･=＝·.．,，、_]+")
_WIDTH_RUN = re.compile(r"[\uff01-\uff5e\uff61-\uff9f]+")
_DASHES = re.compile(r"[-‐‑‒–—―−ｰ~〜～]")
_KATAKANA_OK = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb\u30fd\u30fe ]*$")
_PRIVATE = re.compile(r"[\ue000-\uf8ff]")
_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_OLD_KANA = str.maketrans("ヰヱ", "イエ")
_LOOSE_KANA = str.maketrans({"ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ー": None})


def _widths(text: str) -> str:
    """Full-width ASCII → ASCII and half-width katakana → katakana; nothing else changes."""
    return _WIDTH_RUN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


@lru_cache(maxsize=200_000)
def normalize_name(text: str) -> str:
    """A name as stored: trimmed, widths fixed, parts separated by one U+3000; kanji kept."""
    s = _widths(str(text))
    parts = [p for p in re.split(r"[\s\u3000]+", s) if p]
    return NAME_SEP.join(parts)


def name_problem(text: str) -> str | None:
    """Why a (normalized) name cannot be trusted for matching, in Japanese; None if fine."""
    if _PRIVATE.search(text):
        return "外字（私用領域の文字）が含まれています。正しい文字に置き換えてください。"
    if "〓" in text or "?" in text or "？" in text:
        return (
            "表せなかった文字の代わりの記号（〓や?）が含まれています。正しい字を確認して"
            "ください。"
        )
    return None


@lru_cache(maxsize=200_000)
def kana_value(text: str) -> str:
    """Kana as stored: full-width katakana, dashes between kana as ー, one space between parts.

    Half-width kana (ｼﾒｲ) and hiragana are accepted. Not validated: see :func:`kana_problem`.
    """
    s = unicodedata.normalize("NFKC", str(text))
    s = str(jaconv.hira2kata(s))
    s = _DASHES.sub("ー", s)
    parts = [p for p in re.split(r"\s+", s) if p]
    return KANA_SEP.join(parts)


def kana_problem(kana: str) -> str | None:
    if not _KATAKANA_OK.match(kana):
        return "カナ以外の文字が含まれています。"
    return None


def normalize_kana(text: str) -> str:
    return kana_value(text)


@lru_cache(maxsize=200_000)
def name_key(text: str) -> str:
    """Strict matching key of a kanji name: NFKC, invisible marks and spaces removed, same-
    character variants folded. Two names with the same key are written the same way."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _INVISIBLE.sub("", s)
    s = _SEPARATORS.sub("", s)
    return s.translate(_STRICT)


@lru_cache(maxsize=200_000)
def loose_name_key(text: str) -> str:
    """The strict key with confusable name characters (斎/斉, 嶋/島, 龍/竜 …) folded, and
    hiragana/katakana unified. For scoring only."""
    return str(jaconv.hira2kata(name_key(text))).translate(_LOOSE)


@lru_cache(maxsize=200_000)
def kana_key(text: str) -> str:
    """Matching key of a kana name: katakana, no spaces or separators, small kana as large
    (legacy systems print キヨウコ for キョウコ), ヰヱ as イエ, dashes as ー."""
    s = kana_value(text)
    s = _SEPARATORS.sub("", s)
    return s.translate(_SMALL).translate(_OLD_KANA)


@lru_cache(maxsize=200_000)
def loose_kana_key(text: str) -> str:
    """Kana key without long-vowel marks and with ヂ/ジ, ヅ/ズ, ヲ/オ and ヴ/ブ unified."""
    s = kana_key(text).translate(_LOOSE_KANA)  # small kana are already large here: ヴァ→ヴア
    for ve, be in (("ヴア", "バ"), ("ヴイ", "ビ"), ("ヴエ", "ベ"), ("ヴオ", "ボ"), ("ヴ", "ブ")):
        s = s.replace(ve, be)
    return s


def split_name(text: str) -> tuple[str, str] | None:
    """(family, given) when the name separates them with a space; else None."""
    parts = [p for p in re.split(r"[\s\u3000]+", unicodedata.normalize("NFKC", str(text))) if p]
    if len(parts) < 2:
        return None
    return parts[0], "".join(parts[1:])


def given_key(text: str) -> str:
    """Strict key of the given name ("" when the name has no family/given separator)."""
    parts = split_name(text)
    return name_key(parts[1]) if parts else ""


def family_key(text: str) -> str:
    parts = split_name(text)
    return name_key(parts[0]) if parts else ""


# Vectorized forms: one call per distinct value.


def name_keys(series: pd.Series) -> pd.Series:
    return unique_map(series.fillna(""), name_key)


def kana_keys(series: pd.Series) -> pd.Series:
    return unique_map(series.fillna(""), kana_key)
