"""Every service refuses a locked or expired session itself, not only the window (issue 12, 9).

The review locked a session (``lock()``) and then exported through the services. Here every
public method of every service the composition root builds is called on a locked session and
on one past its maximum length; each must refuse with the Japanese message before it touches
anything (arguments it cannot use are passed as a bare object, so a method that reads its
arguments or the store before asking the session fails here), and each refusal is logged.
Only the methods in ``ALLOWED`` still work, each for the reason written beside it.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

import toda_desktop
from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from kernel.school_calendar import SchoolMonth
from storage import audit as audit_repo
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import SessionLocked
from toda_desktop.idle_lock import DEFAULT_MAX, LockState
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

LOCKED_MESSAGE = "画面がロックされています。手のひら認証で再開してください。"
EXPIRED_MESSAGE = "利用時間の上限に達しました。もう一度サインインしてください。"

# What still works on a locked session, and why.
ALLOWED = {
    "SignedIn.lock_state": "the state itself: the window asks it to show the lock screen",
    "SignedIn.lock": "locking again changes nothing and shows no data",
    "SignedIn.resume_with_palm": "the way back: the palm proves the person again",
    "SignedIn.sign_out": "the way out: it must always work",
    "SignedIn.may": "a fact about the role (for hiding buttons), no data; acting asks "
                    "require, which refuses",
    "BackupService.may_create": "whether the role and the keys held allow a backup (for the "
                                "menu item), no data; making one asks require, which refuses",
    "ExtractionService.operators": "the fixed words of the condition editor (以上, 含む…)",
    "ExtractionService.push_support_preset": "the preset's conditions built from its "
                                             "arguments alone; running them refuses",
}

# Sample values by parameter name: what a caller of the public API would pass. Parameters
# named here only so the call is well-formed; the refusal must come before they are used.
SAMPLES: dict[str, object] = {
    "login_id": "demo-lead", "display_name": "山田 太郎", "role": "project_lead",
    "password": "a long enough password", "new_password": "a long enough password",
    "enabled": False, "reason": "確認", "text": "", "function": "view",
    "kind_name": "students", "column": "name", "value": "x", "record_id": 1,
    "saved_id": 1, "batch_id": 1, "item_id": 1, "pupil_id": 1, "alert_id": 1,
    "address_code": "1000001", "status": "対応中", "query": "山田",
    "chart_key": "attendance", "x": "2025-10", "series_key": None, "column_key": "name",
    "values": {}, "saved": {}, "month": SchoolMonth(2025, 10),
}


def _sign_in(path: Path, clock: Callable[[], datetime]) -> tuple[SignedIn, Simulator]:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    app = Application(path, scanner_factory=factory, clock=clock)
    return app.sign_in(DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD), sim


def _services(signed: SignedIn) -> dict[str, object]:
    """The session itself and every service object it holds or builds on first use."""
    found: dict[str, object] = {"SignedIn": signed}
    names = list(vars(signed)) + [n for n, v in vars(SignedIn).items()
                                  if isinstance(v, cached_property)]
    for name in names:
        value = getattr(signed, name)
        if type(value).__name__.endswith("Service"):
            found[type(value).__name__] = value
    return found


def _service_classes_in_source() -> set[str]:
    """Every ``class …Service`` written under ``toda_desktop``."""
    names = set()
    for path in Path(toda_desktop.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Service"):
                names.add(node.name)
    return names


def _public_methods(obj: object) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in dir(type(obj)):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(type(obj), name)
        if isinstance(static, staticmethod):
            continue  # works only on what the caller passes in: no session, no store
        if inspect.isfunction(static):
            yield name, getattr(obj, name)


def _arguments(method: Callable[..., Any], out: Path) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    for param in inspect.signature(method).parameters.values():
        if param.default is not inspect.Parameter.empty:
            continue
        if param.name in ("path", "folder"):
            kwargs[param.name] = out / f"{method.__name__}.csv"
        elif param.name in SAMPLES:
            kwargs[param.name] = SAMPLES[param.name]
        else:
            kwargs[param.name] = object()  # a preview, a result: never to be looked at
    return kwargs


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now


def _denied(signed: SignedIn) -> list[tuple[str | None, str | None]]:
    rows = signed.store.db.call(lambda conn: audit_repo.query(conn, action="permission_denied"))
    return [(r.target, r.detail) for r in rows]


def test_every_service_class_is_built_by_the_composition_root(demo_store_path: Path) -> None:
    signed, _ = _sign_in(demo_store_path, Clock())
    try:
        assert set(_services(signed)) - {"SignedIn"} == _service_classes_in_source()
    finally:
        signed.sign_out()


@pytest.mark.parametrize("state", [LockState.LOCKED, LockState.EXPIRED])
def test_every_service_method_refuses_a_closed_session_and_logs_it(
    demo_store_path: Path, tmp_path: Path, state: LockState
) -> None:
    clock = Clock()
    signed, _ = _sign_in(demo_store_path, clock)
    try:
        services = _services(signed)  # built while active (risk on first use)
        if state is LockState.LOCKED:
            signed.lock()
        else:
            clock.now += DEFAULT_MAX
        assert signed.lock_state() is state
        message = LOCKED_MESSAGE if state is LockState.LOCKED else EXPIRED_MESSAGE
        out = tmp_path / "exports"
        out.mkdir()
        called, not_refused = 0, []
        for owner, service in services.items():
            for name, method in _public_methods(service):
                if f"{owner}.{name}" in ALLOWED:
                    continue
                called += 1
                before = len(_denied(signed))
                try:
                    method(**_arguments(method, out))
                except SessionLocked as exc:
                    if exc.message_ja != message or len(_denied(signed)) <= before:
                        not_refused.append(f"{owner}.{name}: {exc.message_ja} (logged?)")
                except Exception as exc:  # any other outcome is the finding
                    not_refused.append(f"{owner}.{name}: {type(exc).__name__} {exc}")
                else:
                    not_refused.append(f"{owner}.{name}: ran")
        assert not_refused == [], "\n".join(not_refused)
        assert called > 60
        assert list(out.iterdir()) == []  # no export file was started
        reason = "session_locked" if state is LockState.LOCKED else "session_expired"
        assert all(reason in (detail or "") for _, detail in _denied(signed))
    finally:
        signed.sign_out()


def test_the_palm_resumes_a_locked_session_and_the_services_work_again(
    demo_store_path: Path,
) -> None:
    clock = Clock()
    signed, sim = _sign_in(demo_store_path, clock)
    try:
        signed.lock()
        with pytest.raises(SessionLocked):
            signed.search.search("山田")
        sim.push("SCAN demo-lead")
        signed.resume_with_palm()
        assert signed.search.search("山田").hits
        denied = signed.audit_view.entries(AuditFilter(action="permission_denied"))
        assert [e.outcome_label for e in denied] == ["拒否"]
        assert "画面ロック中" in denied[0].detail_text
    finally:
        signed.sign_out()


def test_idle_time_alone_locks_the_services_and_sign_out_still_works(
    demo_store_path: Path,
) -> None:
    clock = Clock()
    signed, _ = _sign_in(demo_store_path, clock)
    clock.now += timedelta(minutes=10)
    with pytest.raises(SessionLocked, match="手のひら認証で再開"):
        signed.karte.open(1)
    signed.sign_out()
    assert signed.store.closed
