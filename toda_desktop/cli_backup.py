"""The ``backup`` commands of the command line (issue 13)::

    python -m toda_desktop backup create  --store PATH --to DIR [--keep N] [--offer-days N]
                                          [--user ID]
    python -m toda_desktop backup list    --to DIR
    python -m toda_desktop backup restore --from BACKUP_DIR --to NEW_PATH [--user ID]

``create`` signs in like every command (--user or TODA_USER, TODA_PASSWORD or a prompt,
then the palm) and needs 管理機能 and every data key. ``restore`` copies a verified backup
to a new place (never over a store), signs in there as an administrator to record the
restore in the audit log, then moves the files into place. ``list`` reads only the
backups' manifests (no key needed, nothing personal in them).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from storage import backup as backups
from toda_desktop.backup.service import list_rows
from toda_desktop.cli_progress import percent_lines
from toda_desktop.errors import UserFacingError
from toda_desktop.formatting import format_bytes, format_datetime

EXIT_OK, EXIT_PROBLEM = 0, 1


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    if args.backup_command == "list":
        return _list(args, out)
    if args.backup_command == "restore":
        return _restore(args, out)
    return _create(args, out)


def _create(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    if not args.store:
        raise UserFacingError("バックアップするデータベースを --store で指定してください。")
    app, signed = _sign_in(args)
    try:
        if args.keep is not None or args.offer_days is not None:
            signed.backup.set_settings(
                keep=args.keep,
                offer_hours=None if args.offer_days is None else args.offer_days * 24)
        progress = percent_lines(out, "バックアップを作成しています")
        done = signed.backup.create(Path(args.to), progress=progress)
        out.write(f"バックアップを作成し、検証しました: {done.path}"
                  f"（{format_bytes(done.size)}、ファイル {done.files} 個）\n")
        if done.removed:
            out.write(f"古い世代を {done.removed} 個削除しました。\n")
        return EXIT_OK
    finally:
        app.close()


def _list(args: argparse.Namespace, out: TextIO) -> int:
    rows = list_rows(Path(args.to))
    if not rows:
        out.write(f"{args.to} にバックアップはありません。\n")
        return EXIT_OK
    out.write("名前\t作成日時\tサイズ\t検証\n")
    for row in rows:
        when = "—" if row.created_at is None else format_datetime(row.created_at)
        out.write(f"{row.name}\t{when}\t{format_bytes(row.size)}\t"
                  f"{'検証済み' if row.verified else '未検証（使えません）'}\n")
    return EXIT_OK


def _restore(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    if not args.source:
        raise UserFacingError("復元するバックアップのフォルダーを --from で指定してください。")
    target = Path(args.to).expanduser().absolute()
    info, staged = backups.stage_restore(Path(args.source), target)
    try:
        app, signed = _sign_in(argparse.Namespace(store=str(staged), user=args.user))
        try:
            left = signed.backup.record_restore(info)
        finally:
            app.close()
        backups.finish_restore(staged, target)
    except BaseException:
        backups.abandon_restore(staged)
        raise
    out.write(f"バックアップ {info.path.name} から {target} に復元しました。\n")
    before = f"外部の控えのうち {left} 件は復元前の元のデータベースのものです。" if left else ""
    out.write("監査ログに復元の記録を残しました。" + before
              + "管理者が「audit verify」で確かめ、監査ログの画面で確認済みにしてください。\n")
    return EXIT_OK


def add_backup_commands(sub: Any) -> None:
    command = sub.add_parser(
        "backup", help="バックアップの作成・一覧・復元",
        description=(
            "create: データベースと関係するファイル（データの鍵ごとのファイル、鍵ファイル、"
            "監査ログの控え）を暗号化したまま写し、検証して保存します（すべてのデータの鍵を"
            "持つ管理者）。list: 保存先のバックアップの一覧。restore: バックアップを新しい場所に"
            "復元します（使用中のデータベースの上には復元しません）。"),
    )
    command.add_argument("backup_command", choices=["create", "list", "restore"],
                         metavar="create|list|restore", help="create、list または restore")
    command.add_argument("--store", help="create: バックアップするデータベースファイル")
    command.add_argument("--to", required=True,
                         help="create・list: 保存先のフォルダー／restore: 復元先のファイル")
    command.add_argument("--from", dest="source", help="restore: 復元するバックアップのフォルダー")
    command.add_argument("--keep", type=int, metavar="N",
                         help=f"create: 残す世代の数（既定 {backups.DEFAULT_KEEP}、"
                              "設定として保存）")
    command.add_argument("--offer-days", type=int, metavar="N",
                         help="create: 前回からこの日数がたつと、画面のサインアウト時に作成を勧める"
                              "（既定 1、設定として保存）")
    command.add_argument("--user", help="ログインID（TODA_USER でも可）")
    command.set_defaults(handler=cmd_backup)
