"""The plugin point: scanner backends by name, built-in or from installed vendor packages.

A vendor package adds an entry point in the group ``toda_desktop.scanners`` whose object
satisfies ``ScannerBackend`` (``is_simulator``, ``display_name_ja``, ``create(**options)``)::

    [project.entry-points."toda_desktop.scanners"]
    palmsecure = "toda_palmsecure:BACKEND"

A plugin that fails to load (e.g. its SDK DLL is missing on this PC) is logged and left
out rather than breaking sign-in for everyone else; it cannot replace a built-in name.

What a plugin says about itself is not trusted: ``identify_scanner`` names a scanner by where
its class comes from (the built-in simulator and replay, whatever their subclasses claim, are
simulators) and, for a vendor plugin, by its distribution's name, version and a digest of the
package's files, which a store compares with the backends it recorded when it was made.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from devices.errors import NoScannerBackend
from devices.protocol import Scanner
from devices.recording import RecordingScanner
from devices.replay import ReplayScanner
from devices.simulator import Simulator, SimulatorConfig

if TYPE_CHECKING:
    from importlib import metadata

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
class BackendIdentity:
    """Who a scanner really is: ``simulator`` comes from its class, never from the plugin."""

    name: str
    version: str
    digest: str
    simulator: bool


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
    "simulator": BuiltinBackend(True, "シミュレータ（デモ用）", _simulator),
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


BUILTIN_VERSION = "builtin"
BUNDLED = "bundled"  # the digest of a plugin compiled into the frozen application


def _builtin(name: str) -> BackendIdentity:
    return BackendIdentity(name, BUILTIN_VERSION, BUILTIN_VERSION, simulator=True)


def _package_files(dist: metadata.Distribution, top: str) -> list[tuple[str, Path]]:
    """The package's files as they are on disk (not as its RECORD says: that is a file an
    attacker could edit too), compiled caches aside."""
    base = Path(str(dist.locate_file(top)))
    if base.is_dir():
        return sorted(
            (p.relative_to(base.parent).as_posix(), p) for p in base.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
    module = base.with_name(top + ".py")
    return [(module.name, module)] if module.is_file() else []


def package_digest(dist: metadata.Distribution, top: str) -> str:
    """SHA-256 over the names and contents of the package's files, so that any changed, added
    or removed file gives another digest."""
    digest = hashlib.sha256()
    for name, path in _package_files(dist, top):
        digest.update(name.encode("utf-8") + b"\x00")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _distribution_of(top: str) -> metadata.Distribution | None:
    from importlib import metadata

    names = metadata.packages_distributions().get(top, [])
    for name in names:
        try:
            return metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _plugin_name(dist: metadata.Distribution, top: str) -> str:
    for entry in dist.entry_points:
        if entry.group == ENTRY_POINT_GROUP and entry.value.split(".")[0].split(":")[0] == top:
            return str(entry.name)
    return str(dist.metadata["Name"])


def identify_scanner(scanner: object) -> BackendIdentity:
    """The backend a scanner object comes from, judged by its class and package."""
    if isinstance(scanner, RecordingScanner):
        return identify_scanner(scanner.inner)
    if isinstance(scanner, ReplayScanner):
        return _builtin("replay")
    if isinstance(scanner, Simulator):
        return _builtin("simulator")
    module = type(scanner).__module__
    top = module.split(".")[0]
    if top == __name__.split(".")[0]:
        return _builtin("devices")  # any other built-in class is a test double at best
    dist = _distribution_of(top)
    if dist is None:
        source = getattr(sys.modules.get(module), "__file__", None) or module
        return BackendIdentity(top, "", hashlib.sha256(str(source).encode()).hexdigest(),
                               simulator=False)
    digest = package_digest(dist, top)
    if not _package_files(dist, top) and getattr(sys, "frozen", False):
        # Inside the frozen application the plugin was bundled at build time (compiled into
        # the archive, no files to hash); the bundle is trusted as a whole and only the
        # bundle is on sys.path (installer/rthooks/isolate_sys_path.py).
        digest = BUNDLED
    return BackendIdentity(_plugin_name(dist, top), str(dist.version), digest, simulator=False)


def installed_vendor_backends(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> tuple[BackendIdentity, ...]:
    """The vendor plugins installed now, identified from their distributions (for a new
    production or test store to record; loading one is not needed to name it)."""
    from importlib import metadata

    if entry_points is None:
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    found: dict[str, BackendIdentity] = {}
    for entry in entry_points:
        dist = entry.dist
        if entry.name in BUILTIN_BACKENDS or entry.name in found or dist is None:
            continue
        top = entry.value.split(".")[0].split(":")[0]
        if not _package_files(dist, top):
            continue  # nothing on disk to vouch for
        found[entry.name] = BackendIdentity(entry.name, str(dist.version),
                                            package_digest(dist, top), simulator=False)
    return tuple(found[name] for name in sorted(found))
