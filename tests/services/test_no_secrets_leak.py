"""No password, key or palm template reaches a log, an exception text or the audit log."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig
from storage.repos import palms
from toda_desktop.accounts.palm import PALM_KEY_PURPOSE
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError
from toda_desktop.store_setup import DEMO_PASSWORD


def test_sign_in_enrollment_and_failures_leak_nothing(
    demo_store_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    sim = Simulator(SimulatorConfig(seed=9), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        return sim

    app = Application(demo_store_path, scanner_factory=factory)
    errors: list[str] = []
    for password in ("wrong password one", DEMO_PASSWORD):
        try:
            app.start_sign_in("demo-lead", password).cancel()
        except SignInError as exc:
            errors.append(str(exc))
    pending = app.start_sign_in("demo-lead", DEMO_PASSWORD)
    sim.push("SCAN demo-it")
    with pytest.raises(SignInError) as palm_error:
        pending.verify_palm()
    errors.append(str(palm_error.value))
    signed = pending.verify_palm()
    signed.account_admin.create("leak-check", "確認 用", "data_analyst", "secret phrase 12345")
    signed.account_admin.enroll_palm("leak-check")
    key = signed.store.derived_key(PALM_KEY_PURPOSE)
    templates = [r.template for r in signed.store.db.call(lambda c: palms.all_active(c, key))]
    audit_rows = signed.audit_view.entries(AuditFilter())
    data_key = signed.store.keys.system
    signed.sign_out()

    secrets = [DEMO_PASSWORD, "wrong password one", "secret phrase 12345", data_key.hex()]
    for template in templates:
        body = template[-32:]
        secrets += [body.hex(), base64.b64encode(body).decode(), repr(body)[2:-1]]
    haystacks = {
        "logs": "\n".join(r.getMessage() + str(r.args) for r in caplog.records),
        "console": "".join(capsys.readouterr()),
        "errors": "\n".join(errors),
        "audit": "\n".join(f"{r.detail_text} {r.target_text}" for r in audit_rows),
    }
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a secret reached the {where}"
