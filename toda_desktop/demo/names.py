"""Japanese names with their kana, drawn by frequency from the lists in ``resources/demo``.

Variant-kanji surnames (髙橋, 山﨑, 渡邉, 齋藤, 𠮷田 …) are separate list entries with their own
frequency, so they appear as legal names do. Pupils who receive Japanese-language support
often get a foreign name written in katakana (氏名 and 氏名カナ then agree). 氏名 separates
family and given name with a full-width space, 氏名カナ with a half-width space.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from toda_desktop.demo import params

NAME_SEP = "\u3000"
KANA_SEP = " "

# Forms of the same character (strict: a matching key may fold them) — swapped by messy files.
KANJI_VARIANTS: dict[str, str] = {
    "髙": "高",
    "高": "髙",
    "﨑": "崎",
    "崎": "﨑",
    "邉": "辺",
    "邊": "辺",
    "辺": "邉",
    "齋": "斎",
    "齊": "斉",
    "斎": "齋",
    "𠮷": "吉",
}
# Folding table for a strict matching key (used by the ground truth to judge ambiguity).
STRICT_FOLD: dict[str, str] = {
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "邉": "辺",
    "邊": "辺",
    "齋": "斎",
    "齊": "斉",
    "𠮷": "吉",
}


@dataclass(frozen=True)
class NameList:
    kanji: npt.NDArray[np.str_]
    kana: npt.NDArray[np.str_]
    p: npt.NDArray[np.float64]

    def draw(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
        return rng.choice(len(self.p), size=n, p=self.p).astype(np.int64)


def _list(rows: list[dict[str, str]], kanji_key: str = "kanji") -> NameList:
    weights = np.asarray([float(r["weight"]) for r in rows])
    return NameList(
        kanji=np.asarray([r[kanji_key] for r in rows]),
        kana=np.asarray([r["kana"] for r in rows]),
        p=weights / weights.sum(),
    )


@cache
def surnames() -> NameList:
    return _list(list(params.name_rows("surnames.csv")))


@cache
def given_names(sex: str) -> NameList:
    return _list([r for r in params.name_rows("given_names.csv") if r["sex"] == sex])


@cache
def foreign_family() -> NameList:
    return _list(
        [r for r in params.name_rows("foreign_names.csv") if r["part"] == "family"], "kana"
    )


@cache
def foreign_given(sex: str) -> NameList:
    rows = params.name_rows("foreign_names.csv")
    return _list([r for r in rows if r["part"] == "given" and r["sex"] == sex], "kana")


@dataclass(frozen=True)
class DrawnNames:
    """Family and given names of n people as separate kanji and kana parts."""

    family: npt.NDArray[np.str_]
    family_kana: npt.NDArray[np.str_]
    given: npt.NDArray[np.str_]
    given_kana: npt.NDArray[np.str_]

    @property
    def name(self) -> npt.NDArray[np.str_]:
        return np.char.add(np.char.add(self.family, NAME_SEP), self.given)

    @property
    def kana(self) -> npt.NDArray[np.str_]:
        return np.char.add(np.char.add(self.family_kana, KANA_SEP), self.given_kana)


def draw_names(
    rng: np.random.Generator,
    female: npt.NDArray[np.bool_],
    foreign: npt.NDArray[np.bool_],
) -> DrawnNames:
    """Names for people of the given sex; ``foreign`` ones get a katakana foreign name."""
    n = len(female)
    sur = surnames()
    fi = sur.draw(rng, n)
    family = sur.kanji[fi].astype(object)
    family_kana = sur.kana[fi].astype(object)
    given = np.empty(n, dtype=object)
    given_kana = np.empty(n, dtype=object)
    for sex, mask in (("男", ~female), ("女", female)):
        lst = given_names(sex)
        gi = lst.draw(rng, int(mask.sum()))
        given[mask] = lst.kanji[gi]
        given_kana[mask] = lst.kana[gi]
    if foreign.any():
        ff = foreign_family()
        k = ff.draw(rng, int(foreign.sum()))
        family[foreign] = ff.kana[k]
        family_kana[foreign] = ff.kana[k]
        for sex, mask in (("男", foreign & ~female), ("女", foreign & female)):
            if mask.any():
                lst = foreign_given(sex)
                gi = lst.draw(rng, int(mask.sum()))
                given[mask] = lst.kana[gi]
                given_kana[mask] = lst.kana[gi]
    return DrawnNames(
        family.astype(str), family_kana.astype(str), given.astype(str), given_kana.astype(str)
    )


def redraw_given(
    rng: np.random.Generator,
    female: npt.NDArray[np.bool_],
    avoid_kana: npt.NDArray[np.str_],
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
    """Japanese given names that differ in reading from ``avoid_kana`` (for twins)."""
    n = len(female)
    given = np.empty(n, dtype=object)
    kana = np.empty(n, dtype=object)
    for sex, mask in (("男", ~female), ("女", female)):
        if not mask.any():
            continue
        lst = given_names(sex)
        idx = lst.draw(rng, int(mask.sum()))
        clash = lst.kana[idx] == avoid_kana[mask]
        # Step to the next list entry until the reading differs; lists have many readings.
        while clash.any():
            idx[clash] = (idx[clash] + 1) % len(lst.p)
            clash = lst.kana[idx] == avoid_kana[mask]
        given[mask] = lst.kanji[idx]
        kana[mask] = lst.kana[idx]
    return given.astype(str), kana.astype(str)


def strict_key(name: str) -> str:
    """Name with variant kanji folded and every space removed (matching key of the truth)."""
    folded = "".join(STRICT_FOLD.get(ch, ch) for ch in name)
    return folded.replace(NAME_SEP, "").replace(KANA_SEP, "")
