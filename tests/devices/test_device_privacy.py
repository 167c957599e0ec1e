"""Templates are personal data: never in logs, error texts, reprs or recordings.

Runs a busy session (enroll, verify, duplicate check, errors, capture) at DEBUG level on the
simulator, a recording of it and its replay, then searches everything that came out for
any trace of the template data blocks and of the subject ids (logins).
"""

from __future__ import annotations

import base64
import json
import logging

import pytest

from devices import (
    FakeClock,
    RecordingScanner,
    ReplayScanner,
    Scanner,
    ScannerError,
    Simulator,
    SimulatorConfig,
    Template,
)

SUBJECT = "kanri-taro-0042"
OTHER = "tanaka-hanako-17"
SCRIPT = (
    f"SCAN {SUBJECT}; RETRY too_far; SCAN {SUBJECT}; SCAN {SUBJECT} 20; SCAN {SUBJECT}\n"
    f"SCAN {SUBJECT}; SCAN {OTHER}; SPOOF\n"
    f"SCAN {SUBJECT}; SCAN {SUBJECT}; SCAN {SUBJECT}\n"
    f"SCAN {OTHER} 55; ERROR invalid_data; UNPLUG\n"
)


def _session(scanner: Scanner) -> tuple[list[Template], list[ScannerError]]:
    templates: list[Template] = []
    errors: list[ScannerError] = []

    def attempt(call: object) -> None:
        try:
            result = call()  # type: ignore[operator]
        except ScannerError as error:
            errors.append(error)
        else:
            if isinstance(result, Template):
                templates.append(result)

    with scanner:
        attempt(lambda: scanner.enroll())
        reference = templates[0]
        attempt(lambda: scanner.verify(reference.to_bytes(), 1e-4))
        attempt(lambda: scanner.verify(reference, 1e-4))
        attempt(lambda: scanner.verify(reference, 1e-4))
        attempt(lambda: scanner.enroll(gallery=[reference.to_bytes()]))
        attempt(lambda: scanner.capture())
        attempt(lambda: scanner.capture())
        attempt(lambda: scanner.capture())
    return templates, errors


def _traces(data: bytes) -> list[str]:
    return [
        data.hex(), data.hex().upper(), data[8:24].hex(), base64.b64encode(data).decode(),
        data.decode("latin-1"), repr(data), repr(data)[2:30],
    ]


@pytest.mark.parametrize("kind", ["simulator", "recording", "replay"])
def test_no_template_data_or_subject_id_leaves_the_device_layer(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator = Simulator(SimulatorConfig(seed=4, script=SCRIPT), clock=FakeClock())
    scanner: Scanner = simulator if kind == "simulator" else RecordingScanner(simulator)
    templates, errors = _session(scanner)
    outputs: list[str] = []
    if isinstance(scanner, RecordingScanner):
        session = scanner.session()
        outputs.append(json.dumps(session, ensure_ascii=False))
        if kind == "replay":
            replayed, replay_errors = _session(ReplayScanner(session))
            templates += replayed
            errors += replay_errors

    assert len(templates) == 2 * (2 if kind == "replay" else 1)
    assert {e.code for e in errors} >= {"duplicate", "spoof", "invalid_data", "disconnected"}
    assert caplog.records, "the session should have logged at DEBUG"

    for record in caplog.records:
        outputs.append(record.getMessage())
        outputs.append(repr(record.args))
    for error in errors:
        outputs += [str(error), repr(error), error.message_ja, repr(error.args)]
    for template in templates:
        outputs += [repr(template), str(template), repr(template.header)]
    text = "\n".join(outputs)

    assert SUBJECT not in text and OTHER not in text
    for template in templates:
        for trace in _traces(template.data):
            assert trace not in text
