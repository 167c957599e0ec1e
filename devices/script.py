"""The simulator's script: steps queued before (or during) an operation, libfprint style.

Text form, one command per line or separated by ``;`` (``#`` starts a comment)::

    SCAN alice [quality]     present subject "alice"'s palm (quality 0-100, default 80)
    RETRY too_far            guidance (a Guidance key: too_far, too_close, too_left, …)
    ERROR busy               terminal error (disconnected, timeout, busy, cancelled,
                             not_supported, invalid_data, duplicate, spoof, failure)
    UNPLUG                   the scanner is pulled out
    SLEEP 500                nothing happens for 500 ms (of the simulator's clock)
    STALL                    nothing happens until the timeout
    SPOOF                    a fake hand (presentation attack)
    REMOVE                   the hand is lifted
    SET_ENROLL_STAGES 5      captures per enrollment from the next enrollment on
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import SCRIPTABLE_ERROR_CODES
from devices.guidance import Guidance

DEFAULT_QUALITY = 80


@dataclass(frozen=True)
class Present:
    subject: str
    quality: int = DEFAULT_QUALITY
    drawn: bool = False  # True: score drawn from the model; False: its certain mean


@dataclass(frozen=True)
class Guide:
    guidance: Guidance


@dataclass(frozen=True)
class Fail:
    code: str

    def __post_init__(self) -> None:
        if self.code not in SCRIPTABLE_ERROR_CODES:
            raise ValueError(f"unknown error code {self.code!r}")


@dataclass(frozen=True)
class Unplug:
    pass


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Stall:
    pass


@dataclass(frozen=True)
class Spoof:
    pass


@dataclass(frozen=True)
class RemoveHand:
    pass


@dataclass(frozen=True)
class SetEnrollStages:
    stages: int

    def __post_init__(self) -> None:
        if not 1 <= self.stages <= 20:
            raise ValueError("enroll stages must be 1-20")


Step = Present | Guide | Fail | Unplug | Sleep | Stall | Spoof | RemoveHand | SetEnrollStages


class ScriptError(ValueError):
    """A command the simulator does not understand (message for the tester, in Japanese)."""


def parse_script(text: str) -> list[Step]:
    steps: list[Step] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for command in line.split("#", 1)[0].split(";"):
            if command.strip():
                try:
                    steps.append(parse_command(command))
                except ValueError as error:
                    raise ScriptError(
                        f"シミュレータ台本の{number}行目を解釈できません: {command.strip()!r}"
                        f"（{error}）"
                    ) from None
    return steps


def parse_command(command: str) -> Step:
    words = command.split()
    verb, args = words[0].upper(), words[1:]
    no_args: dict[str, Step] = {
        "UNPLUG": Unplug(), "STALL": Stall(), "SPOOF": Spoof(), "REMOVE": RemoveHand()
    }
    if verb in no_args and not args:
        return no_args[verb]
    if verb == "SCAN" and len(args) in (1, 2):
        quality = int(args[1]) if len(args) == 2 else DEFAULT_QUALITY
        if not 0 <= quality <= 100:
            raise ValueError("quality must be 0-100")
        return Present(args[0], quality)
    if len(args) != 1:
        raise ValueError("wrong number of arguments")
    if verb == "RETRY":
        return Guide(Guidance.from_key(args[0]))
    if verb == "ERROR":
        return Fail(args[0].lower())
    if verb == "SLEEP":
        milliseconds = int(args[0])
        if milliseconds < 0:
            raise ValueError("SLEEP takes milliseconds >= 0")
        return Sleep(milliseconds / 1000)
    if verb == "SET_ENROLL_STAGES":
        return SetEnrollStages(int(args[0]))
    raise ValueError(f"unknown command {verb}")
