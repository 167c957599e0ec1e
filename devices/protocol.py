"""The scanner protocol every backend offers (shaped like BioAPI 2.0 and libfprint).

Callers ask for a maximum false-match rate and get a match decision plus the FMR the
comparison achieved (BioAPI ``MaxFMRRequested`` / ``FMRAchieved``), never a vendor score.
Operations block the calling thread (run them off the GUI thread), report retry guidance
and progress through callbacks, stop when the cancel flag says so, and end by a deadline
of an injected clock: they never hang. Terminal problems are ``ScannerError``s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from devices.events import EventListener
from devices.guidance import Guidance
from devices.template import Template
from kernel.progress import CancelFlag

GuidanceCallback = Callable[[Guidance], None]

# Default FMR for the duplicate check at enrollment (NIST SP 800-63B: FMR ≤ 1/10,000).
DEFAULT_DUPLICATE_MAX_FMR = 1e-4


@dataclass(frozen=True)
class EnrollProgress:
    stage: int  # captures accepted so far
    stages: int

    @property
    def fraction(self) -> float:
        return self.stage / self.stages

    @property
    def message_ja(self) -> str:
        return f"{self.stages}回中{self.stage}回の読み取りが終わりました。"


ProgressCallback = Callable[[EnrollProgress], None]


@dataclass(frozen=True)
class VerifyResult:
    matched: bool
    fmr_achieved: float  # chance that another person's palm would have scored this high
    max_fmr: float  # what the caller asked for


@dataclass(frozen=True)
class ScannerInfo:
    backend: str
    model_ja: str  # shown in the UI and the audit log
    is_simulator: bool
    template_format: str
    enroll_stages: int
    supports_capture: bool = True


@runtime_checkable
class Scanner(Protocol):
    @property
    def info(self) -> ScannerInfo: ...

    @property
    def is_simulator(self) -> bool: ...

    @property
    def is_open(self) -> bool: ...

    @property
    def is_connected(self) -> bool: ...

    def add_listener(self, listener: EventListener) -> None: ...

    def remove_listener(self, listener: EventListener) -> None: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self:
        """Open; ``with scanner:`` closes again on the way out."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def enroll(
        self,
        *,
        gallery: Sequence[Template | bytes] = (),
        duplicate_max_fmr: float = DEFAULT_DUPLICATE_MAX_FMR,
        on_guidance: GuidanceCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: CancelFlag | None = None,
        timeout_s: float | None = None,
    ) -> Template:
        """Capture the palm in stages and return a new template.

        ``gallery`` holds the templates already enrolled (other accounts); a palm matching
        one at ``duplicate_max_fmr`` raises ``DuplicatePalm``.
        """
        ...

    def verify(
        self,
        reference: Template | bytes,
        max_fmr: float,
        *,
        on_guidance: GuidanceCallback | None = None,
        cancel: CancelFlag | None = None,
        timeout_s: float | None = None,
    ) -> VerifyResult: ...

    def capture(
        self,
        *,
        on_guidance: GuidanceCallback | None = None,
        cancel: CancelFlag | None = None,
        timeout_s: float | None = None,
    ) -> Template:
        """One processed sample (a one-capture template), e.g. to test the placement."""
        ...
