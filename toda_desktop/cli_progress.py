"""Progress of long command-line work as lines every 10% (a log file stays readable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO


def percent_lines(out: TextIO, text: str) -> Callable[[float], None]:
    """A progress callback writing 「  <text>… 30%」 each time another tenth is done."""
    shown = [-1]

    def show(fraction: float) -> None:
        step = int(fraction * 10)
        if step > shown[0]:
            shown[0] = step
            out.write(f"  {text}… {step * 10}%\n")
            out.flush()

    return show
