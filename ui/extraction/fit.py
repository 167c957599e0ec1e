"""How 抽出 shares its height between the conditions and the pupils found.

Once there are results, the conditions keep only the height they need (at most
:data:`CONDITIONS_SHARE` of the page) and the list of pupils gets the rest: at 768 pixels the
list showed 3–4 rows below empty space in the condition editor (issue 16). A split the user
dragged is kept until the next run.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QSplitter

from ui.extraction.builder import Builder

CONDITIONS_SHARE = 0.4  # the most of the page the conditions take while results are shown


class ResultsFit(QObject):
    """Keeps the split right as results arrive and as the window is resized."""

    def __init__(self, splitter: QSplitter, builder: Builder) -> None:
        super().__init__(splitter)
        self._splitter = splitter
        self._builder = builder
        self.has_results = False
        self.moved_by_user = False
        splitter.splitterMoved.connect(lambda *_a: setattr(self, "moved_by_user", True))
        splitter.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._splitter and event.type() == QEvent.Type.Resize:
            self.fit()
        return super().eventFilter(watched, event)

    def results_shown(self) -> None:
        self.has_results = True
        self.moved_by_user = False
        self.fit()

    def fit(self) -> None:
        if not self.has_results or self.moved_by_user:
            return
        splitter = self._splitter
        total = sum(splitter.sizes())
        if total <= 0:
            return
        top = min(self._builder.wanted_height(), round(total * CONDITIONS_SHARE))
        top_widget = splitter.widget(0)
        if top_widget is not None:
            top = max(top, top_widget.minimumSizeHint().height())
        splitter.setSizes([top, total - top])
