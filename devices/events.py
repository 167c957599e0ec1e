"""Device events delivered to listeners: the scanner came or went, a hand came or went.

Listeners are called on the thread that notices the event (an operation's thread, or the
thread that plugs a simulator); a UI must hand them to its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class DeviceEvent(StrEnum):
    CONNECTED = "connected"
    REMOVED = "removed"
    HAND_PRESENT = "hand_present"
    HAND_REMOVED = "hand_removed"

    @property
    def message_ja(self) -> str:
        return _MESSAGES[self]


_MESSAGES: dict[DeviceEvent, str] = {
    DeviceEvent.CONNECTED: "静脈認証スキャナが接続されました。",
    DeviceEvent.REMOVED: "静脈認証スキャナが取り外されました。",
    DeviceEvent.HAND_PRESENT: "手のひらを検出しました。",
    DeviceEvent.HAND_REMOVED: "手のひらが離れました。",
}

EventListener = Callable[[DeviceEvent], None]
