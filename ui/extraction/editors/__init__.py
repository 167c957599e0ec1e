"""The condition editors, one per condition type, in the order the type chooser offers them."""

from __future__ import annotations

from ui.extraction.editors.base import ConditionEditor
from ui.extraction.editors.change import ChangeEditor
from ui.extraction.editors.count import CountEditor
from ui.extraction.editors.membership import MembershipEditor
from ui.extraction.editors.threshold import ThresholdEditor

EDITORS: tuple[type[ConditionEditor], ...] = (
    ThresholdEditor, MembershipEditor, ChangeEditor, CountEditor,
)

__all__ = ["EDITORS", "ChangeEditor", "ConditionEditor", "CountEditor",
           "MembershipEditor", "ThresholdEditor"]
