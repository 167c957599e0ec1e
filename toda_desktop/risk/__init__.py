"""Truancy-risk use cases: the service (``RiskService``) and the ``risk`` commands.

The names are loaded on first use: the service brings scikit-learn, which the command line's
other commands (and ``risk --help``) need not pay for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toda_desktop.risk.service import (
        ALERT_STATUSES,
        Alert,
        KarteRisk,
        ModelInfo,
        PupilRisk,
        Reevaluation,
        RiskService,
        ScoreResult,
        StatusEntry,
        TrainResult,
    )

__all__ = [
    "ALERT_STATUSES",
    "Alert",
    "KarteRisk",
    "ModelInfo",
    "PupilRisk",
    "Reevaluation",
    "RiskService",
    "ScoreResult",
    "StatusEntry",
    "TrainResult",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("toda_desktop.risk.service"), name)
    raise AttributeError(name)
