"""Build the kanji supplement font from Noto Sans CJK JP DemiLight (a maintainer tool).

IPAexGothic, the main bundled font, has no glyph for about 3,100 characters of JIS X
0213:2004 and for characters outside the Basic Multilingual Plane such as 𠮷 (U+20BB7,
in surnames, yet in no JIS standard). Shipping all of Noto Sans CJK JP would add 16 MB;
this keeps only what IPAexGothic lacks:

* every JIS X 0213:2004 character (both planes, via Python's ``euc_jis_2004`` codec),
* every ideograph outside the BMP (CJK Extension B and later) and every CJK compatibility
  ideograph (U+F900-U+FAFF),

that Noto Sans CJK JP draws and IPAexGothic does not. The subset is renamed (OFL 1.1
allows modified versions; a distinct family name keeps it apart from an installed Noto) and
takes IPAexGothic's line metrics (ascent 0.88 em, descent 0.12 em; Noto's own are 1.16 and
0.288), so that a table row holding 𠮷 is exactly as tall as its neighbours. The DemiLight
weight is used because its strokes are as dark as IPAexGothic's (Regular is ~10% darker);
the subset is named and weighted Regular (400), the one weight of its family.

Usage (see README.md in this folder for where the source file comes from)::

    python resources/fonts/make_supplement.py NotoSansCJK-DemiLight.ttc \\
        resources/fonts/ipaexg.ttf resources/fonts/TodaGothicSupplement-Regular.otf
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

FAMILY = "Toda Gothic Supplement"
POSTSCRIPT = "TodaGothicSupplement-Regular"
JP_FACE = 0  # index of "Noto Sans CJK JP" in the NotoSansCJK-<weight>.ttc collections


def jis_x0213() -> set[int]:
    """All code points of JIS X 0213:2004, planes 1 and 2 (EUC: 2 bytes and 0x8F + 2)."""
    points: set[int] = set()
    rows = range(0xA1, 0xFF)
    for first in rows:
        for second in rows:
            for raw in (bytes((first, second)), bytes((0x8F, first, second))):
                try:
                    points.update(ord(ch) for ch in raw.decode("euc_jis_2004"))
                except UnicodeDecodeError:
                    continue
    return points


def wanted(source: set[int], main: set[int]) -> set[int]:
    ideographs = {cp for cp in source if cp >= 0x20000 or 0xF900 <= cp <= 0xFAFF}
    return ((jis_x0213() | ideographs) & source) - main


def rename(font: TTFont) -> None:
    names = font["name"]
    version = names.getDebugName(5) or ""
    source = names.getDebugName(4) or "Noto Sans CJK JP"
    for record in list(names.names):
        if record.nameID in (1, 4, 16, 17, 21, 22):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName("Regular", 2, 3, 1, 0x409)
    names.setName(f"{POSTSCRIPT};{version}", 3, 3, 1, 0x409)
    names.setName(FAMILY, 4, 3, 1, 0x409)
    names.setName(POSTSCRIPT, 6, 3, 1, 0x409)
    names.setName(f"Subset of {source} for Toda Education Data Desktop", 10, 3, 1, 0x409)
    font["OS/2"].usWeightClass = 400  # the family's one (regular) weight
    font["CFF "].cff.fontNames = [POSTSCRIPT]


def match_line_metrics(font: TTFont, main: TTFont) -> None:
    """Ascent, descent and line gap of the main font, scaled to this font's em."""
    scale = font["head"].unitsPerEm / main["head"].unitsPerEm
    hhea, os2, main_hhea, main_os2 = font["hhea"], font["OS/2"], main["hhea"], main["OS/2"]
    hhea.ascent = round(main_hhea.ascent * scale)
    hhea.descent = round(main_hhea.descent * scale)
    hhea.lineGap = round(main_hhea.lineGap * scale)
    os2.sTypoAscender = round(main_os2.sTypoAscender * scale)
    os2.sTypoDescender = round(main_os2.sTypoDescender * scale)
    os2.sTypoLineGap = round(main_os2.sTypoLineGap * scale)
    os2.usWinAscent = round(main_os2.usWinAscent * scale)
    os2.usWinDescent = round(main_os2.usWinDescent * scale)


def build(source_file: Path, main_file: Path, out_file: Path) -> int:
    source = TTCollection(str(source_file)).fonts[JP_FACE]
    main = TTFont(str(main_file), lazy=True)
    points = wanted(set(source.getBestCmap()), set(main.getBestCmap()))
    options = subset.Options()
    options.layout_features = []  # horizontal text only; no GSUB closure of variants
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(points))
    subsetter.subset(source)
    rename(source)
    match_line_metrics(source, main)
    source.recalcTimestamp = False  # keep the source's date: the same input, the same bytes
    source.save(str(out_file))
    return len(points)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    count = build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    print(f"{count} characters -> {sys.argv[3]}")
