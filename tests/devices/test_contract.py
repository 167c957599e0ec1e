"""One contract, every backend: the simulator, a recording of it, and the replay of that.

Each scenario is a function of (scanner, controls) that returns plain data: the exact
sequence of events, guidance, progress and errors it saw, plus results. For the replay
backend the harness first runs the scenario on a recording simulator, then replays the
recording through the same scenario and checks that both runs saw the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from devices import (
    CancelToken,
    DeviceEvent,
    EnrollProgress,
    FakeClock,
    Guidance,
    RecordingScanner,
    ReplayScanner,
    Scanner,
    ScannerBusy,
    ScannerError,
    Simulator,
    SimulatorConfig,
    Template,
    TemplateHeader,
)
from devices.errors import SCRIPTABLE_ERROR_CODES

T = TypeVar("T")
FMR = 1e-4
ENROLL_ALICE = "SCAN alice; SCAN alice; SCAN alice\n"
ENROLL_BOB = "SCAN bob; SCAN bob; SCAN bob\n"
Item = tuple[str, str]


@dataclass
class Observed:
    """Everything a caller sees, in order."""

    items: list[Item] = field(default_factory=list)

    def guidance(self, guidance: Guidance) -> None:
        self.items.append(("guidance", guidance.value))

    def progress(self, progress: EnrollProgress) -> None:
        self.items.append(("progress", f"{progress.stage}/{progress.stages}"))

    def event(self, event: DeviceEvent) -> None:
        self.items.append(("event", event.value))

    def attempt(self, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except ScannerError as error:
            self.items.append(("error", error.code))
            return None


def watched(scanner: Scanner) -> Observed:
    observed = Observed()
    scanner.add_listener(observed.event)
    return observed


class Controls:
    """What a test does to the device from outside (a person plugging the cable back)."""

    def __init__(self, simulator: Simulator | None) -> None:
        self._simulator = simulator

    def plug(self) -> None:
        if self._simulator is not None:
            self._simulator.plug()  # a replay delivers the recorded event by itself


Scenario = Callable[[Scanner, Controls], T]


class Harness:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.clock = FakeClock()

    def _simulator(self, script: str, **config: Any) -> Simulator:
        self.clock = FakeClock()
        return Simulator(SimulatorConfig(seed=11, script=script, **config), clock=self.clock)

    def run(self, scenario: Scenario[T], script: str = "", **config: Any) -> T:
        simulator = self._simulator(script, **config)
        if self.kind == "simulator":
            return scenario(simulator, Controls(simulator))
        recorder = RecordingScanner(simulator)
        first = scenario(recorder, Controls(simulator))
        if self.kind == "recording":
            return first
        session = json.loads(json.dumps(recorder.session()))  # as if saved and loaded
        replay = ReplayScanner(session)
        second = scenario(replay, Controls(None))
        assert second == first, "replay differs from the recorded run"
        assert replay.remaining == 0, "replay left recorded calls unused"
        return second


@pytest.fixture(params=["simulator", "recording", "replay"])
def backend(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


def _enroll(scanner: Scanner, observed: Observed | None = None, **kwargs: Any) -> Template:
    obs = observed or Observed()
    return scanner.enroll(on_guidance=obs.guidance, on_progress=obs.progress, **kwargs)


# -- open / close ----------------------------------------------------------------------------


def test_open_close_and_operations_need_an_open_device(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[object]:
        obs = watched(scanner)
        seen: list[object] = [scanner.is_open]
        obs.attempt(lambda: scanner.capture())
        scanner.open()
        scanner.open()  # opening twice is harmless
        seen.append(scanner.is_open)
        scanner.close()
        scanner.close()
        seen.append(scanner.is_open)
        obs.attempt(lambda: scanner.enroll())
        return [*seen, obs.items]

    assert backend.run(scenario) == [
        False, True, False, [("error", "not_open"), ("error", "not_open")]
    ]


def test_info_declares_the_template_format_and_simulator_flag(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> tuple[bool, str, int]:
        return scanner.is_simulator, scanner.info.template_format, scanner.info.enroll_stages

    assert backend.run(scenario) == (True, "toda.simulator", 3)


# -- enrollment --------------------------------------------------------------------------------


def test_enroll_in_stages_with_retries_exact_sequence(backend: Harness) -> None:
    script = (
        "RETRY too_far; SCAN alice\n"
        "RETRY moving; RETRY tilted; SCAN alice\n"
        "SCAN alice 10; SCAN alice 70\n"
    )

    def scenario(scanner: Scanner, _: Controls) -> tuple[list[Item], TemplateHeader]:
        obs = watched(scanner)
        with scanner:
            template = _enroll(scanner, obs)
        return obs.items, template.header

    items, header = backend.run(scenario, script)
    assert items == [
        ("event", "hand_present"), ("guidance", "too_far"), ("progress", "1/3"),
        ("event", "hand_removed"),
        ("event", "hand_present"), ("guidance", "moving"), ("guidance", "tilted"),
        ("progress", "2/3"), ("event", "hand_removed"),
        ("event", "hand_present"), ("guidance", "low_quality"), ("progress", "3/3"),
        ("event", "hand_removed"),
    ]
    assert header.quality == 70  # the weakest accepted capture
    assert header.format_id == "toda.simulator"


def test_enroll_restarts_a_stage_when_another_palm_appears(backend: Harness) -> None:
    script = "SET_ENROLL_STAGES 2; SCAN alice; SCAN bob; SCAN alice"

    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        obs = watched(scanner)
        with scanner:
            _enroll(scanner, obs)
        return obs.items

    assert backend.run(scenario, script) == [
        ("event", "hand_present"), ("progress", "1/2"), ("event", "hand_removed"),
        ("event", "hand_present"), ("guidance", "lift_hand"), ("event", "hand_removed"),
        ("event", "hand_present"), ("progress", "2/2"), ("event", "hand_removed"),
    ]


def test_duplicate_enrollment_is_refused_and_names_the_matching_template(
    backend: Harness,
) -> None:
    script = ENROLL_ALICE + ENROLL_ALICE + ENROLL_BOB

    def scenario(scanner: Scanner, _: Controls) -> tuple[list[Item], bool, bool]:
        obs = Observed()
        with scanner:
            alice = _enroll(scanner)
            gallery = [alice.to_bytes()]
            try:
                _enroll(scanner, obs, gallery=gallery)
                same_id = False
            except ScannerError as error:
                obs.items.append(("error", error.code))
                same_id = getattr(error, "duplicate_of", None) == alice.template_id
            bob = obs.attempt(lambda: _enroll(scanner, gallery=gallery))
        return obs.items, same_id, bob is not None

    items, same_id, bob_enrolled = backend.run(scenario, script)
    assert items == [
        ("progress", "1/3"), ("progress", "2/3"), ("progress", "3/3"), ("error", "duplicate")
    ]
    assert same_id
    assert bob_enrolled


# -- verification ------------------------------------------------------------------------------


def test_verify_genuine_matches_and_impostor_does_not(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[tuple[bool, bool]]:
        with scanner:
            alice = _enroll(scanner)
            genuine = scanner.verify(alice, FMR)
            impostor = scanner.verify(alice.to_bytes(), FMR)
        return [
            (genuine.matched, genuine.fmr_achieved <= FMR),
            (impostor.matched, impostor.fmr_achieved <= FMR),
        ]

    assert backend.run(scenario, ENROLL_ALICE + "SCAN alice; SCAN bob") == [
        (True, True), (False, False)
    ]


def test_guidance_then_success_exact_sequence(backend: Harness) -> None:
    script = ENROLL_ALICE + "RETRY too_left; RETRY too_right; RETRY too_close; SCAN alice"

    def scenario(scanner: Scanner, _: Controls) -> tuple[list[Item], bool]:
        with scanner:
            alice = _enroll(scanner)
            obs = watched(scanner)
            result = scanner.verify(alice, FMR, on_guidance=obs.guidance)
        return obs.items, result.matched

    assert backend.run(scenario, script) == (
        [
            ("event", "hand_present"), ("guidance", "too_left"), ("guidance", "too_right"),
            ("guidance", "too_close"), ("event", "hand_removed"),
        ],
        True,
    )


def test_capture_returns_a_one_sample_template(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> tuple[list[Item], int]:
        obs = watched(scanner)
        with scanner:
            sample = scanner.capture(on_guidance=obs.guidance)
        return obs.items, sample.quality

    assert backend.run(scenario, "RETRY moving; SCAN alice 65") == (
        [("event", "hand_present"), ("guidance", "moving"), ("event", "hand_removed")], 65
    )


def test_unplug_mid_verify_raises_disconnected_and_sends_removed(backend: Harness) -> None:
    script = ENROLL_ALICE + "RETRY too_far; UNPLUG; SCAN alice"

    def scenario(scanner: Scanner, controls: Controls) -> list[object]:
        with scanner:
            alice = _enroll(scanner)
            obs = watched(scanner)
            obs.attempt(lambda: scanner.verify(alice, FMR, on_guidance=obs.guidance))
            state = [scanner.is_connected, scanner.is_open]
            obs.attempt(lambda: scanner.verify(alice, FMR))
            obs.attempt(lambda: scanner.open())
            controls.plug()
            scanner.open()
            matched = scanner.verify(alice, FMR).matched
        return [obs.items, state, matched]

    assert backend.run(scenario, script) == [
        [
            ("event", "hand_present"), ("guidance", "too_far"), ("event", "removed"),
            ("error", "disconnected"), ("error", "disconnected"), ("error", "disconnected"),
            ("event", "connected"), ("event", "hand_present"), ("event", "hand_removed"),
        ],
        [False, False],
        True,
    ]


@pytest.mark.parametrize("script", ["STALL", "SLEEP 31000; SCAN alice", ""])
def test_timeout_ends_the_wait(backend: Harness, script: str) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        obs = watched(scanner)
        with scanner:
            alice = _enroll(scanner)
            obs.attempt(lambda: scanner.verify(alice, FMR))
        return obs.items

    items = backend.run(scenario, ENROLL_ALICE + script)
    assert items[-1] == ("error", "timeout")


def test_a_short_sleep_is_no_timeout(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> bool:
        with scanner:
            alice = _enroll(scanner)
            return scanner.verify(alice, FMR, timeout_s=5).matched

    assert backend.run(scenario, ENROLL_ALICE + "SLEEP 4000; SCAN alice")


def test_cancel_from_the_guidance_callback(backend: Harness) -> None:
    script = ENROLL_ALICE + "RETRY too_far; SCAN alice"

    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        token = CancelToken()
        obs = watched(scanner)

        def on_guidance(guidance: Guidance) -> None:
            obs.guidance(guidance)
            token.cancel()  # the person pressed 中止 while the prompt was shown

        with scanner:
            alice = _enroll(scanner)
            obs.items.clear()
            obs.attempt(lambda: scanner.verify(alice, FMR, on_guidance=on_guidance, cancel=token))
        return obs.items

    assert backend.run(scenario, script) == [
        ("event", "hand_present"), ("guidance", "too_far"), ("error", "cancelled")
    ]


def test_cancel_mid_enrollment_and_before_start(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        token = CancelToken()
        obs = Observed()

        def on_progress(progress: EnrollProgress) -> None:
            obs.progress(progress)
            token.cancel()

        with scanner:
            obs.attempt(lambda: scanner.enroll(on_progress=on_progress, cancel=token))
            obs.attempt(lambda: scanner.capture(cancel=lambda: True))
        return obs.items

    assert backend.run(scenario, ENROLL_ALICE) == [
        ("progress", "1/3"), ("error", "cancelled"), ("error", "cancelled")
    ]


def test_spoof_is_a_terminal_error(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        obs = watched(scanner)
        with scanner:
            alice = _enroll(scanner)
            obs.items.clear()
            obs.attempt(lambda: scanner.verify(alice, FMR))
        return obs.items

    assert backend.run(scenario, ENROLL_ALICE + "SPOOF") == [
        ("event", "hand_present"), ("error", "spoof")
    ]


def test_second_concurrent_operation_is_busy(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> tuple[list[str], bool]:
        nested: list[str] = []

        def on_guidance(_: Guidance) -> None:
            for call in (
                lambda: scanner.verify(alice, FMR),
                lambda: scanner.enroll(),
                lambda: scanner.capture(),
                lambda: scanner.close(),
            ):
                try:
                    call()
                except ScannerBusy as error:
                    nested.append(error.code)

        with scanner:
            alice = _enroll(scanner)
            matched = scanner.verify(alice, FMR, on_guidance=on_guidance).matched
        return nested, matched

    assert backend.run(scenario, ENROLL_ALICE + "RETRY moving; SCAN alice") == (
        ["busy"] * 4, True
    )


@pytest.mark.parametrize("code", SCRIPTABLE_ERROR_CODES)
def test_scripted_errors_arrive_as_their_error(backend: Harness, code: str) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        obs = Observed()
        with scanner:
            obs.attempt(lambda: scanner.capture())
        return obs.items

    assert backend.run(scenario, f"ERROR {code}") == [("error", code)]


def test_bad_references_are_invalid_data_or_not_supported(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        obs = Observed()
        with scanner:
            alice = _enroll(scanner)
            raw = bytearray(alice.to_bytes())
            raw[-6] ^= 0xFF
            foreign = Template(
                TemplateHeader("acme.palm", 1, 80, 0, "ab" * 16), alice.data
            )
            garbled = Template(alice.header, b"x" * 40)
            obs.attempt(lambda: scanner.verify(b"not a template", FMR))
            obs.attempt(lambda: scanner.verify(bytes(raw), FMR))
            obs.attempt(lambda: scanner.verify(foreign, FMR))
            obs.attempt(lambda: scanner.verify(garbled, FMR))
        return obs.items

    assert backend.run(scenario, ENROLL_ALICE) == [
        ("error", "invalid_data"), ("error", "invalid_data"), ("error", "not_supported"),
        ("error", "invalid_data"),
    ]


@pytest.mark.parametrize("max_fmr", [0.0, 1.0, -0.1, 2.0])
def test_max_fmr_must_be_a_rate(backend: Harness, max_fmr: float) -> None:
    def scenario(scanner: Scanner, _: Controls) -> str:
        with scanner:
            alice = _enroll(scanner)
            with pytest.raises(ValueError):
                scanner.verify(alice, max_fmr)
        return "ok"

    assert backend.run(scenario, ENROLL_ALICE) == "ok"


def test_removed_listener_hears_nothing(backend: Harness) -> None:
    def scenario(scanner: Scanner, _: Controls) -> list[Item]:
        obs = watched(scanner)
        scanner.remove_listener(obs.event)
        with scanner:
            scanner.capture()
        return obs.items

    assert backend.run(scenario, "SCAN alice") == []
