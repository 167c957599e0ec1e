"""Truancy-risk use cases: the service (``RiskService``) and the ``risk`` commands."""

from toda_desktop.risk.service import (
    ALERT_STATUSES,
    Alert,
    ModelInfo,
    PupilRisk,
    RiskService,
    ScoreResult,
    StatusEntry,
    TrainResult,
)

__all__ = [
    "ALERT_STATUSES",
    "Alert",
    "ModelInfo",
    "PupilRisk",
    "RiskService",
    "ScoreResult",
    "StatusEntry",
    "TrainResult",
]
