"""Plain data that crosses the service boundary to the UI and the command line.

Frozen dataclasses only: no database handles, no Qt. The UI builds its table models over these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from kernel.store_kind import StoreKind
from toda_desktop.phrase import Phrase

STORE_KIND_LABELS = {StoreKind.PRODUCTION: "本番", StoreKind.DEMO: "デモ", StoreKind.TEST: "テスト"}


@dataclass(frozen=True)
class DemoAccount:
    """A demo store's sign-in, shown on its login screen (never exists in production)."""

    login_id: str
    password: str
    display_name: str
    role_label: str


@dataclass(frozen=True)
class StoreHeader:
    """What can be known about a store before signing in (from its key file)."""

    path: str
    store_kind: StoreKind
    demo_accounts: tuple[DemoAccount, ...] = ()

    @property
    def kind_label(self) -> str:
        return STORE_KIND_LABELS.get(self.store_kind, self.store_kind)


@dataclass(frozen=True)
class SignedInUser:
    account_id: int
    login_id: str
    display_name: str
    role: str
    role_label: str
    started_at: datetime


@dataclass(frozen=True)
class DatasetCount:
    kind: str
    label: str
    counts_by_year: dict[int, int] = field(default_factory=dict)
    total: int = 0
    latest_date: date | None = None


@dataclass(frozen=True)
class BatchSummary:
    batch_id: int
    kind: str
    kind_label: str
    source_name: str
    imported_by: str
    imported_at: datetime
    row_count: int | None  # None: the kind is outside the role's map (only the time is told)


@dataclass(frozen=True)
class IntegrityState:
    ok: bool | None  # None: not checked yet
    checked_at: datetime | None
    message: Phrase  # the finding; a time in it is a value, written in the date style
    notice: Phrase = ()  # beside the finding: e.g. the audit log's outside copy out of reach


@dataclass(frozen=True)
class Overview:
    store_kind: StoreKind
    store_kind_label: str
    pupil_count: int | None  # None: the basic group's key is not held (issue 12)
    school_years: tuple[int, ...]
    datasets: tuple[DatasetCount, ...]
    last_import: BatchSummary | None
    store_size_bytes: int
    integrity: IntegrityState
    withheld: str = ""  # kinds left out for want of their key, and whom to ask ("" if none)
