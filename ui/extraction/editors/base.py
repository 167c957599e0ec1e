"""What every condition editor of the 抽出 builder does (one editor per condition type)."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QWidget

from ui.extraction.catalog import Catalog, Leaf


class ConditionEditor(QWidget):
    """The form of one condition type inside :class:`ConditionDialog`.

    ``key`` names the type, ``title`` is how the type chooser offers it; ``new`` says the
    dialog adds a condition (an editor may then fill in sensible defaults)."""

    key: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, catalog: Catalog, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.new = new

    @classmethod
    def offered(cls, catalog: Catalog) -> bool:
        """Whether this role can build such a condition at all."""
        return True

    def accepts(self, node: Leaf) -> bool:
        """Whether ``node`` is a condition of this type (and so is edited here)."""
        raise NotImplementedError

    def load(self, node: Leaf) -> None:
        """Show an existing condition of this type."""
        raise NotImplementedError

    def build(self, *, enabled: bool, negate: bool) -> Leaf:
        """The condition the form describes; ValueError with a Japanese message."""
        raise NotImplementedError
