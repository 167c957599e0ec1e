"""The データ概要 page: what the store holds, per dataset kind and school year.

Counts are aggregates without personal data, so every signed-in role may see them; the store
size and the last integrity check tell the office whether the store is healthy.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from kernel.progress import CancelFlag, Progress
from storage import audit
from storage.connection import Connection
from storage.database import MAIN_LANE
from storage.errors import Cancelled, StoreError
from storage.repos import batches, datasets, meta
from storage.store import Store
from toda_desktop.audit.service import chain_message
from toda_desktop.clock import stamp
from toda_desktop.context import ServiceContext
from toda_desktop.errors import OperationCancelled
from toda_desktop.models import (
    STORE_KIND_LABELS,
    BatchSummary,
    DatasetCount,
    IntegrityState,
    Overview,
)
from toda_desktop.phrase import Part, Phrase, from_json, phrase, to_json
from toda_desktop.withheld import withheld_notice

NOT_CHECKED = "まだ検査していません。"


def _integrity_from_meta(values: dict[str, str]) -> IntegrityState:
    checked = values.get("integrity_checked_at")
    if checked is None:
        return IntegrityState(ok=None, checked_at=None, message=(NOT_CHECKED,))
    return IntegrityState(
        ok=values.get("integrity_ok") == "1",
        checked_at=datetime.fromisoformat(checked),
        message=from_json(values.get("integrity_message", "")),
    )


HIDDEN = "（非表示）"


def _with_breaks(state: IntegrityState, pending: int) -> IntegrityState:
    """A rollback or swapped store found at sign-in shows at once, not only after the next
    integrity check (found by QA: データ概要 said 未検査 meanwhile)."""
    if not pending or state.ok is False:
        return state
    return IntegrityState(
        ok=False, checked_at=None,
        message=(f"監査ログの巻き戻し・差し替えを検出しました（{pending}回）。"
                 "監査ログの「改ざん検査」で確かめてください。",))


def _with_outside_notice(state: IntegrityState, store_path: Path) -> IntegrityState:
    """The last copy of the audit log's head to the office's outside folder failed (the
    folder out of reach at sign-out or at the day's first entry): said here, never as an
    error dialog at sign-out."""
    outside = audit.read_anchor_file(store_path).outside or {}
    failed = outside.get("failed_at")
    if not isinstance(failed, str):
        return state
    try:
        when: Part = datetime.fromisoformat(failed)
    except ValueError:
        when = failed
    notice = phrase(when, f" に、監査ログの控えを外部の場所（{outside.get('folder', '')}）に"
                    "書き込めませんでした。接続を確認してください（次のサインアウト時にもう一度"
                    "書き込みます）。")
    return replace(state, notice=notice)


class OverviewService:
    """Needs the store itself (beyond the context) for its size and the integrity check."""

    def __init__(self, context: ServiceContext, store: Store) -> None:
        self._ctx = context
        self._store = store

    def overview(self) -> Overview:
        """Counts per dataset kind, only for the kinds within the role's need to know whose
        key the account holds (the IT administrator sees the store's health, not how many
        bullying records there are); the pupil total whenever the basic group's key is held.
        A kind of a group not held is never read: its file is not attached (issue 12)."""
        registry = self._ctx.registry
        held = self._store.held_kinds
        visible = frozenset(k.name for k in self._ctx.gate.visible_kinds()) & held
        master = registry.master.name
        counted = visible | ({master} & held)  # the pupil total needs only the basic key
        shown = [k for k in registry.kinds if k.name in counted]
        withheld = withheld_notice(self._ctx.gate)
        db = self._ctx.db
        # A kind on another lane (学校, issue 12) is counted on its own connection.
        on_main = [k for k in shown if db.lane_of(k.name) == MAIN_LANE]
        elsewhere = {k.name: db.call(functools.partial(datasets.counts, kind=k), kind=k.name)
                     for k in shown if k not in on_main}

        def read(conn: Connection) -> Overview:
            here = {k.name: datasets.counts(conn, k) for k in on_main}
            counts = [here[k.name] if k.name in here else elsewhere[k.name] for k in shown]
            latest = batches.latest(conn)
            values = meta.all_items(conn)
            labels = {k.name: k.label for k in registry.kinds}
            pupils = next((c.total for c in counts if c.kind == master), None)
            # School years are those of the school data; infant check-ups and preschool
            # records reach back to birth and are shown in the total only.
            yearly = {k.name for k in registry.kinds if k.year_column is not None}
            years = sorted({y for c in counts if c.kind in yearly for y in c.by_year})
            return Overview(
                store_kind=self._store.store_kind,
                store_kind_label=STORE_KIND_LABELS[self._store.store_kind],
                pupil_count=pupils,
                school_years=tuple(years),
                datasets=tuple(
                    DatasetCount(c.kind, labels[c.kind], dict(c.by_year), c.total, c.latest)
                    for c in counts if c.kind in visible
                ),
                last_import=None
                if latest is None
                else BatchSummary(
                    batch_id=latest.id,
                    kind=latest.kind,
                    kind_label=labels.get(latest.kind, latest.kind),
                    source_name=latest.source_name,
                    imported_by=latest.imported_by,
                    imported_at=datetime.fromisoformat(latest.imported_at),
                    row_count=latest.row_count,
                ) if latest.kind in visible
                else BatchSummary(  # outside the role's map: only when it happened
                    batch_id=latest.id, kind="", kind_label=HIDDEN, source_name=HIDDEN,
                    imported_by=HIDDEN, imported_at=datetime.fromisoformat(latest.imported_at),
                    row_count=None,
                ),
                store_size_bytes=self._store.size_bytes(),
                integrity=_with_outside_notice(
                    _with_breaks(_integrity_from_meta(values),
                                 audit.pending_breaks(conn, self._store.path)),
                    self._store.path),
                withheld=withheld,
            )

        result = self._ctx.db.call(read)
        self._ctx.log("view_overview")
        return result

    def check_integrity(
        self,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> IntegrityState:
        self._ctx.gate.require("admin")
        try:
            report = self._store.integrity_check(progress, cancel)
        except Cancelled:
            raise OperationCancelled("整合性の検査を中止しました。") from None
        chain = self._ctx.trail.verify()
        ok = report.ok and chain.ok
        message: Phrase
        if ok:
            message = ("暗号化ページ・データベース構造・監査ログに異常はありません。",)
        elif not report.ok:
            message = (
                f"データベースに破損が見つかりました（{len(report.problems)}件）。"
                "バックアップからの復元を検討してください。",
            )
        else:
            message = phrase("監査ログに異常があります：", chain_message(chain))
        now = stamp(self._ctx.clock)

        def save(conn: Connection) -> None:
            meta.put(conn, "integrity_checked_at", now.isoformat())
            meta.put(conn, "integrity_ok", "1" if ok else "0")
            meta.put(conn, "integrity_message", to_json(message))

        try:
            self._ctx.db.call(save)
            self._ctx.log(
                "integrity_check",
                outcome="ok" if ok else "problem",
                detail={"problems": list(report.problems), "audit_chain": chain.ok},
            )
        except StoreError:
            if ok:
                raise
            # A damaged store may refuse writes; the finding itself must still reach the user.
            message = phrase(message, "（検査結果はデータベースに記録できませんでした）")
        return IntegrityState(ok=ok, checked_at=now, message=message)
