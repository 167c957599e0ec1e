"""Condition extraction (抽出): conditions as data, their evaluation, and the city's presets.

``model`` holds the condition tree (frozen dataclasses, JSON round-trip), ``engine``
evaluates it over the store, ``presets`` builds the push-support extraction. The service
(``toda_desktop.extraction.service``) adds the permission map, audit log, saving and export.
"""

from toda_desktop.extraction.model import (
    AGGREGATES,
    DIRECTIONS,
    MEMBERSHIP_TARGETS,
    OPERATORS,
    Change,
    CountInWindow,
    Extraction,
    FieldMeasure,
    FieldTest,
    Group,
    Membership,
    Node,
    Period,
    SurveyPositivity,
    Threshold,
    from_json,
    to_json,
)
from toda_desktop.extraction.presets import PushSupportOptions, push_support_preset

__all__ = [
    "AGGREGATES", "DIRECTIONS", "MEMBERSHIP_TARGETS", "OPERATORS", "Change", "CountInWindow",
    "Extraction", "FieldMeasure", "FieldTest", "Group", "Membership", "Node", "Period",
    "PushSupportOptions", "SurveyPositivity", "Threshold", "from_json", "push_support_preset",
    "to_json",
]
