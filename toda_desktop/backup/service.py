"""Backups for administrators who hold every data key: make, list, offer, record a restore.

The copy itself is ``storage.backup`` (consistent across files, verified, owner-only). This
layer decides who may (管理機能 and every group's key: an account without some keys is told
which, and who can do it instead), keeps the settings and the last backup's time in the
store's ``meta`` table (the system file: no personal data), and logs every attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from kernel.progress import CancelFlag, Progress
from kernel.store_kind import StoreKind
from storage import audit, audit_outside
from storage import backup as backups
from storage.connection import Connection
from storage.errors import Cancelled, StoreError
from storage.key_groups import key_groups
from storage.repos import meta
from storage.store import Store
from toda_desktop.accounts.grants import group_labels
from toda_desktop.context import ServiceContext
from toda_desktop.errors import OperationCancelled, UserFacingError

DIR_KEY = "backup_dir"  # meta: the folder backups go to (set at the first backup)
KEEP_KEY = "backup_keep"  # meta: how many generations to keep
OFFER_KEY = "backup_offer_hours"  # meta: offer one at sign-out when the last is this old
LAST_KEY = "backup_last_at"  # meta: when the last verified backup was made (ISO)
DEFAULT_OFFER = timedelta(days=1)
MAX_KEEP = 365
OFFER_QUESTION = "前回のバックアップから1日以上たっています。今作成しますか？"
NEVER_QUESTION = "このデータベースのバックアップはまだ作成されていません。今作成しますか？"


@dataclass(frozen=True)
class BackupSettings:
    folder: Path | None
    keep: int
    offer_after: timedelta
    last_at: datetime | None


@dataclass(frozen=True)
class BackupDone:
    path: Path
    size: int
    files: int
    removed: int  # older generations deleted after this one verified


@dataclass(frozen=True)
class BackupRow:
    """One generation for ``backup list`` and the window (no path to a pupil anywhere)."""

    name: str
    created_at: datetime | None
    size: int
    verified: bool
    path: Path


def offer_question(offer_after: timedelta) -> str:
    """The sign-out question, in the words of the configured age."""
    if offer_after == DEFAULT_OFFER:
        return OFFER_QUESTION
    hours = offer_after.total_seconds() / 3600
    age = f"{int(hours // 24)}日" if hours % 24 == 0 else f"{hours:g}時間"
    return f"前回のバックアップから{age}以上たっています。今作成しますか？"


class BackupService:
    def __init__(self, context: ServiceContext, store: Store) -> None:
        self._ctx = context
        self._store = store

    # -- who --------------------------------------------------------------------------------

    def _missing_groups(self) -> list[str]:
        return [g.name for g in key_groups(self._ctx.registry)
                if not self._store.keys.holds(g.name)]

    def may_create(self) -> bool:
        """管理機能 and every data key (the menu item is shown only then)."""
        return self._ctx.gate.may("admin") and not self._missing_groups()

    def _require_creator(self) -> None:
        self._ctx.gate.require("admin")
        missing = self._missing_groups()
        if missing:
            words = "、".join(group_labels(self._ctx.registry, missing))
            self._ctx.log("backup_created", outcome="denied",
                          detail={"reason": "not_a_holder", "groups": missing})
            raise UserFacingError(
                "バックアップには、すべてのデータの鍵が必要です。この利用者は次のデータの鍵を"
                f"持っていないため、バックアップを作成できません: {words}。"
                "すべての鍵を持つ事業全体総括職員がサインインして作成してください"
                "（鍵のないファイルは、整合性を確かめながら写すことができないためです）。")

    # -- settings ---------------------------------------------------------------------------

    def settings(self) -> BackupSettings:
        self._ctx.gate.require("admin")
        values = self._store.db.call(meta.all_items)
        return _settings(values)

    def set_settings(self, *, folder: Path | None = None, keep: int | None = None,
                     offer_hours: float | None = None) -> BackupSettings:
        """An administrator changes where backups go, how many are kept and when one is
        offered at sign-out; logged."""
        self._ctx.gate.require("admin")
        changes: dict[str, str] = {}
        if folder is not None:
            changes[DIR_KEY] = str(_checked_folder(folder, self._store.path))
        if keep is not None:
            if not 1 <= keep <= MAX_KEEP:
                raise UserFacingError(f"残す世代の数は1から{MAX_KEEP}までで指定してください。")
            changes[KEEP_KEY] = str(keep)
        if offer_hours is not None:
            if not 0 < offer_hours <= 24 * 90:
                raise UserFacingError("バックアップを勧める間隔は、1時間から90日までで指定して"
                                      "ください。")
            changes[OFFER_KEY] = f"{offer_hours:g}"
        current = self._store.db.call(meta.all_items)
        changes = {k: v for k, v in changes.items() if current.get(k) != v}  # (only changes)
        if changes:
            def save(conn: Connection) -> None:
                for key, value in changes.items():
                    meta.put(conn, key, value)

            self._store.db.call(save)
            self._ctx.log("backup_settings", detail=dict(changes))
        return self.settings()

    def due(self) -> bool:
        """Whether to offer a backup at sign-out: the account may make one and the last is
        older than the configured age (or there is none)."""
        if not self.may_create():
            return False
        current = self.settings()
        if current.last_at is None:
            # Never made: asked for a store of real data, and for a demo store once its
            # backups were set up (trying the demo is not nagged at every sign-out).
            return current.folder is not None or self._store.store_kind != StoreKind.DEMO
        return self._ctx.now() - current.last_at >= current.offer_after

    def sign_out_question(self) -> str | None:
        """The question to ask at sign-out, or None when no backup is due."""
        if not self.due():
            return None
        current = self.settings()
        if current.last_at is None:
            return NEVER_QUESTION
        return offer_question(current.offer_after)

    # -- making -----------------------------------------------------------------------------

    def create(self, destination: Path | None = None, progress: Progress | None = None,
               cancel: CancelFlag | None = None) -> BackupDone:
        """A verified backup in ``destination`` (or the configured folder), older
        generations beyond the setting deleted; logged with its outcome."""
        self._require_creator()
        current = self.settings()
        folder = destination or current.folder
        if folder is None:
            raise UserFacingError("バックアップの保存先のフォルダーを指定してください。")
        folder = _checked_folder(folder, self._store.path)
        before = {b.path for b in backups.list_backups(folder)}
        try:
            info = backups.create_backup(
                self._store.path, self._store.keys, self._ctx.registry, folder,
                now=self._ctx.now(), created_by=self._ctx.actor.login_id, keep=current.keep,
                progress=progress, cancel=cancel)
        except Cancelled as exc:
            self._ctx.log("backup_created", outcome="cancelled", detail={"dir": str(folder)})
            raise OperationCancelled(exc.message_ja) from None
        except StoreError as exc:
            self._ctx.log("backup_created", outcome="failed",
                          detail={"dir": str(folder), "error": type(exc).__name__})
            raise
        removed = len(before - {b.path for b in backups.list_backups(folder)})
        when = info.created_at

        def remember(conn: Connection) -> None:
            meta.put(conn, LAST_KEY, when)
            meta.put(conn, DIR_KEY, str(folder))

        self._store.db.call(remember)
        self._ctx.log("backup_created", detail={
            "backup": info.path.name, "dir": str(folder), "bytes": info.size,
            "items": len(info.files), "backup_head_id": info.audit_head_id,
            "removed": removed})
        return BackupDone(info.path, info.size, len(info.files), removed)

    def generations(self, destination: Path | None = None) -> list[BackupRow]:
        """This store's backups in the folder, newest first (time, size, verified)."""
        self._ctx.gate.require("admin")
        folder = destination or self.settings().folder
        if folder is None:
            return []
        return list_rows(folder, self._store.keyfile.store_id)

    # -- restoring --------------------------------------------------------------------------

    def record_restore(self, info: backups.BackupInfo) -> int:
        """In a store just restored (signed in at its staging place): the signed entry that
        says from which backup, when and by whom, naming the heads copied outside before the
        restore that this chain does not hold (``audit verify`` then explains them and asks
        an administrator to acknowledge). Returns how many heads it names."""
        self._ctx.gate.require("admin")
        if info.store_id != self._store.keyfile.store_id:
            raise UserFacingError("このバックアップは別のデータベースのものです。")
        if not self._store.integrity_check().ok:  # every file this account opens
            raise UserFacingError("復元したデータベースの整合性の検査で異常が見つかったため、"
                                  "復元を取りやめました。別の世代から復元してください。")
        heads, unread = self._outside_heads()
        left = self._store.db.call(lambda conn: audit.heads_not_in_chain(conn, heads))
        detail: dict[str, object] = {
            "backup": info.path.name, "created_at": info.created_at,
            "backup_head_id": info.audit_head_id, audit.SUPERSEDED_FIELD: left}
        if unread:
            detail["unread"] = unread
        self._ctx.log(audit.RESTORE_ACTION, detail=detail)
        return len(left)

    def _outside_heads(self) -> tuple[list[tuple[int, str]], list[str]]:
        store_id = self._store.keyfile.store_id
        folders = self._store.db.call(audit_outside.named_folders)
        current = self._store.db.call(lambda c: meta.get(c, audit_outside.ANCHOR_DIR_KEY))
        if current:
            folders = list(dict.fromkeys([*folders, Path(current)]))
        heads: list[tuple[int, str]] = []
        unread: list[str] = []
        for folder in folders:
            copies = audit_outside.read_copies(folder, store_id)
            heads.extend(copies.heads)
            if copies.problem:
                unread.append(str(folder))
        return heads, unread


def list_rows(folder: Path, store_id: str | None = None) -> list[BackupRow]:
    rows = []
    for info in backups.list_backups(folder, store_id):
        try:
            when: datetime | None = datetime.fromisoformat(info.created_at)
        except ValueError:
            when = None
        rows.append(BackupRow(info.path.name, when, info.size, info.verified, info.path))
    return rows


def _settings(values: dict[str, str]) -> BackupSettings:
    folder = values.get(DIR_KEY)
    try:
        keep = min(max(int(values.get(KEEP_KEY, backups.DEFAULT_KEEP)), 1), MAX_KEEP)
    except ValueError:
        keep = backups.DEFAULT_KEEP
    try:
        offer = timedelta(hours=float(values[OFFER_KEY])) if OFFER_KEY in values else DEFAULT_OFFER
    except ValueError:
        offer = DEFAULT_OFFER
    try:
        last = datetime.fromisoformat(values[LAST_KEY]) if LAST_KEY in values else None
    except ValueError:
        last = None
    return BackupSettings(Path(folder) if folder else None, keep, offer, last)


def _checked_folder(folder: Path, store_path: Path) -> Path:
    """An absolute folder that is not the store's own: a backup beside the store would be
    lost with the disk it is meant to survive."""
    text = str(folder).strip()
    if not text:
        raise UserFacingError("バックアップの保存先のフォルダーを指定してください。")
    folder = Path(text).expanduser()
    if not folder.is_absolute():
        folder = folder.resolve()
    if folder.resolve() == store_path.resolve().parent:
        raise UserFacingError("バックアップは、データベースと同じフォルダーには保存できません。"
                              "別のドライブや共有フォルダーを指定してください。")
    if folder.exists() and not folder.is_dir():
        raise UserFacingError(f"{folder} はフォルダーではありません。")
    return folder
