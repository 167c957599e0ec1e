"""Charts of the school karte for print: matplotlib (Agg, no Qt) with the bundled Japanese
font, returned as PNG bytes for a ``printing.document.Figure``.

Other schools appear only as unnamed grey marks beside the school the sheet is for, and
always in school-code order: a sheet handed to one principal shows where the school stands
with its uncertainty, not a league table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from resources import resource_path
from toda_desktop.school_karte.models import ValueAdded

FONT_FILE = ("fonts", "ipaexg.ttf")
OWN = "#1f5fa8"
OTHERS = "#b0b0b0"
CITY = "#555555"
DPI = 150


@cache
def _font() -> str:
    from matplotlib import font_manager

    path = resource_path(*FONT_FILE)
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    for text in fig.findobj(lambda o: hasattr(o, "set_fontfamily")):
        text.set_fontfamily(_font())  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def domain_chart(labels: Sequence[str], values: Sequence[float | None],
                 lows: Sequence[float | None], highs: Sequence[float | None],
                 cities: Sequence[float | None], title: str) -> bytes:
    """Each domain's share of positive answers with its 95% interval (dot and bar) and the
    city value (a tick)."""
    fig = _figure(6.0, 0.45 * len(labels) + 1.0)
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    for y, v, lo, hi, c in zip(ys, values, lows, highs, cities, strict=True):
        if v is not None and lo is not None and hi is not None:
            ax.plot([lo, hi], [y, y], color=OWN, linewidth=2)
            ax.plot([v], [y], "o", color=OWN)
        if c is not None:
            ax.plot([c], [y], "|", color=CITY, markersize=14, markeredgewidth=2)
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("肯定的回答の割合（%）　●本校と95%区間　｜市")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", color="#e0e0e0")
    return _png(fig)


def caterpillar(va: ValueAdded, own: str) -> bytes:
    """Every school's growth effect with its 95% interval, in school-code order; only the
    school of the sheet is named."""
    fig = _figure(6.0, 2.6)
    ax = fig.add_subplot()
    for x, e in enumerate(va.effects):
        colour = OWN if e.school_code == own else OTHERS
        ax.plot([x, x], [e.interval.low, e.interval.high], color=colour, linewidth=2)
        ax.plot([x], [e.effect], "o", color=colour)
    ax.axhline(0, color=CITY, linewidth=1)
    ax.set_xticks([x for x, e in enumerate(va.effects) if e.school_code == own], ["本校"])
    ax.set_xlabel("学校（学校コード順。本校以外は名前を示しません）")
    ax.set_ylabel("成長の差（レベル）")
    ax.set_title("学校ごとの成長（付加価値）と95%区間", fontsize=10)
    return _png(fig)


def funnel(va: ValueAdded, own: str) -> bytes:
    """Raw adjusted growth against the number of pupils with the 95% and 99.8% limits."""
    fig = _figure(6.0, 3.0)
    ax = fig.add_subplot()
    ns = [p.n for p in va.funnel]
    ax.plot(ns, [p.high95 for p in va.funnel], "--", color=CITY, linewidth=1, label="95%")
    ax.plot(ns, [p.low95 for p in va.funnel], "--", color=CITY, linewidth=1)
    ax.plot(ns, [p.high998 for p in va.funnel], ":", color=CITY, linewidth=1, label="99.8%")
    ax.plot(ns, [p.low998 for p in va.funnel], ":", color=CITY, linewidth=1)
    ax.axhline(0, color=CITY, linewidth=1)
    for e in va.effects:
        mine = e.school_code == own
        ax.plot([e.n], [e.raw], "o", color=OWN if mine else OTHERS,
                markersize=8 if mine else 5, zorder=3 if mine else 2)
    ax.set_xlabel("成長を比べられた児童生徒数")
    ax.set_ylabel("予測との差（レベル）")
    ax.set_title("ファンネル図（●本校）", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return _png(fig)


def quadrant(va: ValueAdded, own: str) -> bytes:
    """The Saitama survey's quadrant: 学力レベル (against the city's same grade) × the share of
    pupils whose level rose; lines at the city's values."""
    fig = _figure(5.0, 3.6)
    ax = fig.add_subplot()
    for e in va.effects:
        mine = e.school_code == own
        ax.plot([e.mean_level], [e.grew_share], "o", color=OWN if mine else OTHERS,
                markersize=8 if mine else 5, zorder=3 if mine else 2)
    ax.axvline(0, color=CITY, linewidth=1)
    ax.axhline(va.city_grew_share, color=CITY, linewidth=1)
    ax.set_xlabel("学力レベル（市の同学年平均との差）")
    ax.set_ylabel("学力を伸ばした児童生徒の割合（%）")
    ax.set_title("学力レベルと伸び（●本校）", fontsize=10)
    return _png(fig)
