"""Cancelling an operation from another thread (a dialog's 中止 button).

Operations accept any ``kernel.progress.CancelFlag`` (``Callable[[], bool]``, like ``storage``
and the UI's ``TaskContext.cancelled``); ``CancelToken`` is a ready-made one.
"""

from __future__ import annotations

import threading


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()


def never() -> bool:
    return False
