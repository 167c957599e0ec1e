"""Retry-type guidance: what the person should change before the scanner reads again.

Guidance never ends an operation (terminal errors are exceptions in ``devices.errors``).
Each member's value is the hint key the UI maps to a hand-placement illustration
(``too_far`` → e.g. ``hand/too_far.svg``); left and right are as the person sees them.
"""

from __future__ import annotations

from enum import StrEnum


class Guidance(StrEnum):
    TOO_FAR = "too_far"
    TOO_CLOSE = "too_close"
    TOO_LEFT = "too_left"
    TOO_RIGHT = "too_right"
    TILTED = "tilted"
    MOVING = "moving"
    LOW_QUALITY = "low_quality"
    LIFT_HAND = "lift_hand"

    @property
    def hint_key(self) -> str:
        """Key of the illustration that shows the correct placement."""
        return self.value

    @property
    def prompt_ja(self) -> str:
        """What to do, as one sentence for the screen."""
        return _TEXTS[self][1]

    @classmethod
    def from_key(cls, key: str) -> Guidance:
        try:
            return cls(key.strip().lower())
        except ValueError:
            known = ", ".join(member.value for member in cls)
            raise ValueError(f"unknown guidance {key!r} (known: {known})") from None


_TEXTS: dict[Guidance, tuple[str, str]] = {
    Guidance.TOO_FAR: ("手が遠い", "手がスキャナから遠すぎます。もう少し近づけてください。"),
    Guidance.TOO_CLOSE: ("手が近い", "手がスキャナに近すぎます。少し離してください。"),
    Guidance.TOO_LEFT: (
        "左に寄りすぎ", "手が左に寄りすぎています。少し右へずらしてください。"
    ),
    Guidance.TOO_RIGHT: (
        "右に寄りすぎ", "手が右に寄りすぎています。少し左へずらしてください。"
    ),
    Guidance.TILTED: (
        "傾いている", "手が傾いています。手のひらをスキャナと平行にしてください。"
    ),
    Guidance.MOVING: ("動いている", "手が動いています。そのまま動かさないでください。"),
    Guidance.LOW_QUALITY: (
        "品質不足",
        "うまく読み取れませんでした。指を軽く開いて、手のひらをもう一度かざしてください。",
    ),
    Guidance.LIFT_HAND: (
        "一度手を離してください", "一度手を離してから、もう一度かざしてください。"
    ),
}
