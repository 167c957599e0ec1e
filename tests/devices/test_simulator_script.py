"""The simulator's text commands (libfprint virtual-device style) parse into queue steps."""

from __future__ import annotations

import pytest

from devices.guidance import Guidance
from devices.script import (
    Fail,
    Guide,
    Present,
    RemoveHand,
    ScriptError,
    SetEnrollStages,
    Sleep,
    Spoof,
    Stall,
    Unplug,
    parse_script,
)


def test_every_command() -> None:
    text = """
        # a session
        SCAN alice
        scan bob 35          # verbs are case-insensitive, subjects are not
        RETRY too_far; RETRY LIFT_HAND
        ERROR busy
        UNPLUG; SLEEP 500; STALL; SPOOF; REMOVE
        SET_ENROLL_STAGES 5
    """
    assert parse_script(text) == [
        Present("alice"), Present("bob", 35), Guide(Guidance.TOO_FAR),
        Guide(Guidance.LIFT_HAND), Fail("busy"), Unplug(), Sleep(0.5), Stall(), Spoof(),
        RemoveHand(), SetEnrollStages(5),
    ]


def test_every_guidance_key_can_be_scripted() -> None:
    keys = "; ".join(f"RETRY {g.hint_key}" for g in Guidance)
    assert parse_script(keys) == [Guide(g) for g in Guidance]


@pytest.mark.parametrize(
    "line",
    [
        "WAVE", "SCAN", "SCAN a 101", "SCAN a b c", "RETRY too_high", "ERROR melted",
        "SLEEP -1", "SLEEP soon", "SET_ENROLL_STAGES 0", "UNPLUG now",
    ],
)
def test_bad_commands_name_their_line(line: str) -> None:
    with pytest.raises(ScriptError) as raised:
        parse_script(f"SCAN ok\n{line}")
    assert "2行目" in str(raised.value)


def test_empty_script_is_empty() -> None:
    assert parse_script("\n  # nothing\n;;") == []
