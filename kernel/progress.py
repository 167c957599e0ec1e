"""The two callables every long operation accepts, declared once for all layers.

A ``Progress`` receives the share done (0.0–1.0); a ``CancelFlag`` answers whether the user
pressed 中止. Plain callables, so a Qt task context, a CLI printer or a test lambda all fit.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float], None]
CancelFlag = Callable[[], bool]

__all__ = ["CancelFlag", "Progress"]
