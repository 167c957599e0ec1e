"""Which scanner a store may use: a production store requires real hardware.

The simulator and replays accept any palm a script names, so on a production store they
would be a way round the second factor. Only demo and test stores may use them; any other
store kind (including an unknown one) is treated as production.
"""

from __future__ import annotations

from typing import Any, Protocol

from devices.errors import NoScannerBackend, SimulatorNotAllowed
from devices.protocol import Scanner
from devices.registry import ScannerBackend, available_backends, get_backend
from kernel.store_kind import StoreKind

SIMULATOR_STORE_KINDS = frozenset({StoreKind.DEMO, StoreKind.TEST})


class DeclaresSimulator(Protocol):
    @property
    def is_simulator(self) -> bool: ...


def require_real_scanner_for(store_kind: StoreKind, backend: DeclaresSimulator) -> None:
    """Refuse a simulator (backend or scanner) unless the store is a demo or test store."""
    if backend.is_simulator and store_kind not in SIMULATOR_STORE_KINDS:
        raise SimulatorNotAllowed()


def scanner_for_store(
    store_kind: StoreKind,
    *,
    backend: str | None = None,
    backends: dict[str, ScannerBackend] | None = None,
    **options: Any,
) -> Scanner:
    """The scanner to use with a store of ``store_kind``.

    Without a backend name, demo and test stores get the simulator (pass e.g.
    ``default_subject=login`` and ``clock=``); a production store gets the one installed
    real backend, and ``NoScannerBackend`` if there is none or more than one to choose from.
    """
    backends = available_backends() if backends is None else backends
    if backend is None:
        if store_kind in SIMULATOR_STORE_KINDS:
            backend = "simulator"
        else:
            real = sorted(name for name, b in backends.items() if not b.is_simulator)
            if len(real) != 1:
                raise NoScannerBackend(
                    None
                    if not real
                    else "静脈認証スキャナのドライバが複数あります。"
                    "設定で使用するスキャナを選んでください。"
                )
            backend = real[0]
    chosen = get_backend(backend, backends)
    require_real_scanner_for(store_kind, chosen)
    scanner = chosen.create(**options)
    require_real_scanner_for(store_kind, scanner)  # a plugin may misdeclare itself
    return scanner
