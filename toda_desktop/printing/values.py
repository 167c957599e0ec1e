"""How stored values and charts are written on printed sheets (shared by the sheet builders;
stored values are written by ``toda_desktop.formatting``, as on the screens)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from toda_desktop.formatting import BLANK


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return BLANK
    return f"{value:g}{unit}"


@cache
def _font_file() -> Path:
    from resources import resource_path

    return resource_path("fonts", "ipaexg.ttf")


def bar_chart_png(labels: Sequence[str], stacks: Sequence[tuple[str, Sequence[float]]],
                  unit: str, *, width_in: float = 6.6, height_in: float = 2.3) -> bytes:
    """A stacked bar chart as PNG, drawn with matplotlib's Agg canvas (no pyplot: safe on a
    worker thread) in the bundled font by file, grey-scale friendly for office copiers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = FontProperties(fname=str(_font_file()), size=8)
    figure = Figure(figsize=(width_in, height_in), dpi=200)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    shades = ("#3b5b7d", "#8fa9c4", "#c9a227", "#9a9a9a", "#5f8f6f", "#c46a5a")
    bottom = [0.0] * len(labels)
    positions = list(range(len(labels)))
    for n, (name, values) in enumerate(stacks):
        axes.bar(positions, values, bottom=bottom, color=shades[n % len(shades)], width=0.7,
                 label=name, edgecolor="white", linewidth=0.4)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(positions)
    axes.set_xticklabels(labels, fontproperties=font)
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(font)
    axes.set_ylabel(unit, fontproperties=font)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # days and visits are whole
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)
    if max(bottom, default=0) == 0:
        axes.set_ylim(0, 1)
    axes.legend(prop=font, frameon=False, ncol=min(4, len(stacks)), loc="upper left",
                bbox_to_anchor=(0, 1.22))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
