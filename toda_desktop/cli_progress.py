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


def live_percent(out: TextIO, text: str) -> Callable[[float], None]:
    """At a terminal, one line whose percentage counts up (the demo city's creation, issue
    16: minutes without a sign of life looked like a hang); else :func:`percent_lines`."""
    if not out.isatty():
        return percent_lines(out, text)
    shown = [-1]

    def show(fraction: float) -> None:
        percent = min(100, int(fraction * 100))
        if percent != shown[0]:
            shown[0] = percent
            out.write(f"\r  {text}… {percent:3d}%" + ("\n" if percent >= 100 else ""))
            out.flush()

    return show


def elapsed_text(seconds: float) -> str:
    """「1分12秒」 / 「45秒」."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}分{rest}秒" if minutes else f"{rest}秒"
