"""What a store is for: real pupils, the demo city, or tests.

String-valued, so the store's ``meta`` table and the key file keep the same words.
"""

from __future__ import annotations

from enum import StrEnum


class StoreKind(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    TEST = "test"


__all__ = ["StoreKind"]
