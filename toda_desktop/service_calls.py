"""One call into a service, as the session check sees it.

The gate refuses a locked or expired session at a call's first question about data. A call
already running when the lock falls (a long extraction, a month's alerts) must not stop
half-way — the alerts stored but not logged — so the composition root marks each public
service method as one call (``guard_calls``), and within it the gate checks the session once.
Outside such a call (a service built by hand, another thread) every question is checked.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

S = TypeVar("S")

# Inside a guarded call: a one-element list, True once the session was found open.
_CALL: ContextVar[list[bool] | None] = ContextVar("toda_service_call", default=None)


def checked_in_this_call() -> bool:
    """Whether the running service call has already found the session open."""
    cell = _CALL.get()
    return cell is not None and cell[0]


def mark_checked() -> None:
    """The session was found open: the rest of this call goes on, locked or not."""
    cell = _CALL.get()
    if cell is not None:
        cell[0] = True


def _one_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _CALL.get() is not None:  # a service method called by another: the same call
            return method(*args, **kwargs)
        token = _CALL.set([False])
        try:
            return method(*args, **kwargs)
        finally:
            _CALL.reset(token)

    return call


def guard_calls(service: S) -> S:
    """Mark every public method of ``service`` as one call (on this instance)."""
    for name in dir(type(service)):
        if not name.startswith("_") and inspect.isfunction(
                inspect.getattr_static(type(service), name)):
            setattr(service, name, _one_call(getattr(service, name)))
    return service
