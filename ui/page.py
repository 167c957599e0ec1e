"""What the main window and the shell expect of a page, and how a page stays current.

A page is a QWidget the shell builds with the service calls it uses. The main window calls
``activated()`` each time the page is shown; the shell calls ``data_changed(kinds)`` after
an import, a rollback or a review decision changed the store (``kinds``: the datasets that
changed; or what the risk pages derive from them, :data:`ALERT_LISTS` and :data:`RISK_MODEL`,
after a month's lists were made, an alert marked or a model trained). Both are optional:
:func:`activate` and :func:`notify_changed` skip pages without them. A page whose content
depends on the store keeps a :class:`Freshness`: it reloads at once when the page is on
screen, and at its next showing otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from PySide6.QtWidgets import QWidget

# Changed kinds that are not datasets: the alert lists (made, or an alert marked) and the model.
ALERT_LISTS = "risk:alert_lists"
RISK_MODEL = "risk:model"
DERIVED_KINDS = frozenset({ALERT_LISTS, RISK_MODEL})


def datasets_changed(kinds: frozenset[str]) -> bool:
    """Whether a change touches the datasets themselves (empty: everything may have)."""
    return not kinds or bool(kinds - DERIVED_KINDS)


@runtime_checkable
class Page(Protocol):
    """The optional hooks of a page (any QWidget can be a page)."""

    def activated(self) -> None:
        """The page was shown: load lazily or refresh."""

    def data_changed(self, kinds: frozenset[str]) -> None:
        """The store changed in these datasets: show the new state (now or when shown)."""


def activate(page: QWidget | None) -> None:
    activated = getattr(page, "activated", None)
    if callable(activated):
        activated()


def notify_changed(pages: Iterable[QWidget], kinds: frozenset[str]) -> None:
    for page in pages:
        changed = getattr(page, "data_changed", None)
        if callable(changed):
            changed(kinds)


class Freshness:
    """Whether a page shows the store as it is now.

    ``kinds`` are the datasets the page shows (None: all of them, not the derived kinds).
    Until the first load, and after a change in one of its kinds while hidden, the page is
    stale and ``activated`` reloads it; a change while it is on screen reloads it at once."""

    def __init__(
        self,
        page: QWidget,
        reload: Callable[[], None],
        kinds: Iterable[str] | None = None,
    ) -> None:
        self._page = page
        self._reload = reload
        self._kinds = None if kinds is None else frozenset(kinds)
        self.stale = True

    def loaded(self) -> None:
        """The page now shows the store as it is."""
        self.stale = False

    def concerns(self, kinds: frozenset[str]) -> bool:
        if self._kinds is None:
            return datasets_changed(kinds)
        return not kinds or bool(kinds & self._kinds)

    def activated(self) -> None:
        if self.stale:
            self._reload()

    def changed(self, kinds: frozenset[str]) -> None:
        if not self.concerns(kinds):
            return
        self.stale = True
        if self._page.isVisible():
            self._reload()
