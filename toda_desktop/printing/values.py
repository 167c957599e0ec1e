"""How stored values and charts are written on printed sheets (shared by the sheet builders;
the screens have their own copy in ``ui.pupil_tables``, which the core may not import)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_date, format_school_year

BLANK = "—"


def grade_label(grade: int | None) -> str:
    if grade is None:
        return ""
    return f"小{grade}" if grade <= 6 else f"中{grade - 6}"


def class_label(grade: int | None, class_name: str, seat: int | None = None) -> str:
    """「4年1組 3番」 (a junior-high grade counts from 1 again)."""
    parts = []
    if grade is not None:
        parts.append(f"{grade if grade <= 6 else grade - 6}年")
    if class_name:
        parts.append(f"{class_name}組" if class_name.isdigit() else class_name)
    text = "".join(parts)
    if seat is not None:
        text += f" {seat}番"
    return text


def format_value(value: object, column_type: str, date_style: DateStyle) -> str:
    """One stored value as staff read it on paper."""
    if value is None or value == "":
        return BLANK
    if column_type == "bool":
        return "はい" if value in (1, True, "1") else "いいえ"
    if column_type == "school_year" and isinstance(value, int):
        return format_school_year(value, date_style)
    if column_type == "month" and isinstance(value, int):
        return f"{value}月"
    if column_type == "grade" and isinstance(value, int):
        return grade_label(value)
    if isinstance(value, str) and (column_type == "date" or (
            len(value) == 10 and value[4] == "-" and value[7] == "-")):
        try:
            return format_date(date.fromisoformat(value), date_style)
        except ValueError:
            return value
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


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
