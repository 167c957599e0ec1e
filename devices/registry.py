"""The plugin point: scanner backends by name, built-in or from installed vendor packages.

A vendor package adds an entry point in the group ``toda_desktop.scanners`` whose object
satisfies ``ScannerBackend`` (``is_simulator``, ``display_name_ja``, ``create(**options)``)::

    [project.entry-points."toda_desktop.scanners"]
    palmsecure = "toda_palmsecure:BACKEND"

A plugin that fails to load (e.g. its SDK DLL is missing on this PC) is logged and left
out rather than breaking sign-in for everyone else; it cannot replace a built-in name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from devices.errors import NoScannerBackend
from devices.protocol import Scanner
from devices.replay import ReplayScanner
from devices.simulator import Simulator, SimulatorConfig

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "toda_desktop.scanners"


@runtime_checkable
class ScannerBackend(Protocol):
    @property
    def is_simulator(self) -> bool: ...

    @property
    def display_name_ja(self) -> str: ...

    def create(self, **options: Any) -> Scanner: ...


class _EntryPoint(Protocol):
    @property
    def name(self) -> str: ...

    def load(self) -> Any: ...


@dataclass(frozen=True)
class BuiltinBackend:
    is_simulator: bool
    display_name_ja: str
    factory: Callable[..., Scanner]

    def create(self, **options: Any) -> Scanner:
        return self.factory(**options)


def _simulator(*, clock: Any = None, **options: Any) -> Scanner:
    return Simulator(SimulatorConfig(**options), clock=clock)


def _replay(*, path: str | Path) -> Scanner:
    return ReplayScanner.from_file(Path(path))


BUILTIN_BACKENDS: dict[str, ScannerBackend] = {
    "simulator": BuiltinBackend(True, "シミュレータ（デモ・テスト用）", _simulator),
    "replay": BuiltinBackend(True, "記録の再生（テスト用）", _replay),
}


def available_backends(
    entry_points: Iterable[_EntryPoint] | None = None,
) -> dict[str, ScannerBackend]:
    """Built-in backends plus every loadable plugin (``entry_points`` for tests)."""
    found: dict[str, ScannerBackend] = dict(BUILTIN_BACKENDS)
    if entry_points is None:
        from importlib import metadata  # only when asked: it costs ~50 ms at start-up

        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    for entry in entry_points:
        if entry.name in found:
            log.warning("scanner plugin %r ignored: the name is taken", entry.name)
            continue
        try:
            backend = entry.load()
        except Exception:
            log.warning("scanner plugin %r could not be loaded", entry.name, exc_info=True)
            continue
        if not isinstance(backend, ScannerBackend) or not isinstance(
            backend.is_simulator, bool
        ):
            log.warning("scanner plugin %r is not a scanner backend", entry.name)
            continue
        found[entry.name] = backend
    return found


def get_backend(
    name: str, backends: dict[str, ScannerBackend] | None = None
) -> ScannerBackend:
    backends = available_backends() if backends is None else backends
    try:
        return backends[name]
    except KeyError:
        raise NoScannerBackend() from None


def create_scanner(
    name: str, *, backends: dict[str, ScannerBackend] | None = None, **options: Any
) -> Scanner:
    return get_backend(name, backends).create(**options)
