"""The simulator beyond the contract: determinism, the clock, automatic mode, hot-plug, inbox."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from devices import (
    CancelToken,
    DeviceEvent,
    FakeClock,
    Guidance,
    ScanCancelled,
    ScannerBusy,
    ScannerDisconnected,
    ScannerTimeout,
    Simulator,
    SimulatorConfig,
    SystemClock,
)
from devices.script import Present, SetEnrollStages

FMR = 1e-4
ENROLL = "SCAN alice; SCAN alice; SCAN alice\n"


def _sim(**config: object) -> tuple[Simulator, FakeClock]:
    clock = FakeClock()
    sim = Simulator(SimulatorConfig(**config), clock=clock)  # type: ignore[arg-type]
    sim.open()
    return sim, clock


def test_same_seed_same_session_different_seed_different_templates() -> None:
    def session(seed: int) -> tuple[bytes, list[float]]:
        sim, _ = _sim(seed=seed, default_subject="alice")
        template = sim.enroll()
        achieved = [sim.verify(template, FMR).fmr_achieved for _ in range(5)]
        return template.to_bytes(), achieved

    assert session(5) == session(5)
    assert session(5)[0] != session(6)[0]
    assert session(5)[1] != session(6)[1]


def test_a_palm_is_the_same_across_seeds_and_sessions() -> None:
    first, _ = _sim(seed=1, script=ENROLL)
    template = first.enroll()
    second, _ = _sim(seed=99, script="SCAN alice; SCAN bob")
    assert second.verify(template.to_bytes(), FMR).matched
    assert not second.verify(template.to_bytes(), FMR).matched


def test_template_ids_are_unique_and_created_comes_from_the_clock() -> None:
    sim, clock = _sim(default_subject="alice")
    clock.advance(3600)
    templates = [sim.enroll() for _ in range(20)]
    assert len({t.template_id for t in templates}) == 20
    assert {t.header.created for t in templates} == {int(clock.wall())}


def test_timeout_uses_the_injected_clock_without_sleeping() -> None:
    sim, clock = _sim(script=ENROLL + "STALL", timeout_s=30)
    template = sim.enroll()
    started = time.monotonic()
    with pytest.raises(ScannerTimeout) as raised:
        sim.verify(template, FMR)
    assert time.monotonic() - started < 1.0
    assert clock.monotonic() == pytest.approx(30.0)
    assert "時間切れ" in raised.value.message_ja


def test_each_enrollment_stage_gets_its_own_wait() -> None:
    sim, clock = _sim(script="SLEEP 20000; SCAN alice\n" * 3, timeout_s=30)
    sim.enroll()
    assert clock.monotonic() == pytest.approx(60.0)


def test_nobody_at_the_scanner_times_out_and_a_default_subject_answers() -> None:
    sim, clock = _sim(script=ENROLL, timeout_s=10)
    template = sim.enroll()
    with pytest.raises(ScannerTimeout):
        sim.verify(template, FMR)
    assert clock.monotonic() == pytest.approx(10.0)
    sim.default_subject = "alice"  # the lead sets this to the signed-in user's login
    assert sim.verify(template, FMR).matched
    sim.default_subject = "mallory"
    assert not sim.verify(template, FMR).matched


def test_a_script_takes_precedence_over_the_default_subject() -> None:
    sim, _ = _sim(script=ENROLL + "RETRY too_far; SCAN bob", default_subject="alice")
    template = sim.enroll()
    guidance: list[Guidance] = []
    assert not sim.verify(template, FMR, on_guidance=guidance.append).matched
    assert guidance == [Guidance.TOO_FAR]
    assert sim.verify(template, FMR).matched  # the script is used up: automatic again


def test_capture_time_is_spent_on_the_clock() -> None:
    sim, clock = _sim(script="SCAN alice", capture_s=0.5)
    sim.capture()
    assert clock.monotonic() == pytest.approx(0.5)


def test_another_thread_gets_busy_and_cancel_ends_a_real_wait_promptly() -> None:
    sim = Simulator(
        SimulatorConfig(script="RETRY moving; STALL", timeout_s=60), clock=SystemClock()
    )
    sim.open()
    token = CancelToken()
    waiting = threading.Event()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            sim.capture(cancel=token, on_guidance=lambda _: waiting.set())
        except ScanCancelled as error:
            outcome.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    assert waiting.wait(timeout=5)
    with pytest.raises(ScannerBusy):
        sim.capture()
    started = time.monotonic()
    token.cancel()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert len(outcome) == 1
    assert time.monotonic() - started < 2.0


def test_unplug_from_outside_ends_a_wait_and_plug_announces_the_device() -> None:
    sim, _ = _sim()
    events: list[DeviceEvent] = []
    sim.add_listener(events.append)
    sim.unplug()
    assert not sim.is_connected and not sim.is_open
    with pytest.raises(ScannerDisconnected):
        sim.open()
    sim.plug()
    sim.open()
    assert events == [DeviceEvent.REMOVED, DeviceEvent.CONNECTED]


def test_a_simulator_can_start_unplugged() -> None:
    sim = Simulator(SimulatorConfig(connected=False), clock=FakeClock())
    with pytest.raises(ScannerDisconnected) as raised:
        sim.open()
    assert "接続されていません" in raised.value.message_ja


def test_enroll_stages_change_from_the_next_enrollment() -> None:
    sim, _ = _sim(script="SET_ENROLL_STAGES 2; SCAN a; SCAN a; SET_ENROLL_STAGES 4",
                  default_subject="a")
    stages: list[int] = []
    sim.enroll(on_progress=lambda p: stages.append(p.stages))
    sim.enroll(on_progress=lambda p: stages.append(p.stages))
    assert stages == [2, 2, 4, 4, 4, 4]


def test_push_accepts_steps_and_text_and_reports_pending() -> None:
    sim, _ = _sim()
    sim.push(Present("alice", 90), "RETRY moving", [SetEnrollStages(2)])
    assert [type(step).__name__ for step in sim.pending()] == [
        "Present", "Guide", "SetEnrollStages"
    ]


def test_inbox_file_feeds_commands_while_an_operation_waits(tmp_path: Path) -> None:
    inbox = tmp_path / "palm.cmd"
    inbox.write_text("SCAN alice\nSCAN alice\nSCAN alice\nBOGUS\nRETRY too_far\nSCAN al",
                     encoding="utf-8")
    sim, _ = _sim(inbox=inbox, timeout_s=5)
    template = sim.enroll()
    guidance: list[Guidance] = []
    with pytest.raises(ScannerTimeout):  # "SCAN al" is not a whole line yet
        sim.verify(template, FMR, on_guidance=guidance.append)
    assert guidance == [Guidance.TOO_FAR]
    with inbox.open("a", encoding="utf-8") as handle:
        handle.write("ice\n")
    assert sim.verify(template, FMR).matched
