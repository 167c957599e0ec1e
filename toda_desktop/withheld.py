"""The one line a cross-domain page shows when the account lacks some of its role's keys.

A role's data keys are granted by the project lead after an account is created or its role
changes (issue 12); until then those kinds are simply absent. Pages that combine domains
(データ概要, 児童生徒検索, カルテ) say so, with whom to ask, instead of silently showing less.
"""

from __future__ import annotations

from toda_desktop.gate import Gate

ASK_FOR_KEYS = "鍵の付与は事業全体総括職員にご依頼ください。"


def withheld_notice(gate: Gate) -> str:
    """``gate.withheld_note()`` and whom to ask ("" when every key of the role is held)."""
    note = gate.withheld_note()
    return f"{note}{ASK_FOR_KEYS}" if note else ""
