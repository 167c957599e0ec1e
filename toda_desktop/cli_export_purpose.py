"""Purpose-bound exports on the command line: the flags every identifiable export takes
(``--purpose``, ``--purpose-note``, ``--approval``), and ``export-approval`` to read the
lead's list, ask for an approval and see one's requests. The lead decides in the app."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from toda_desktop.errors import UserFacingError
from toda_desktop.export_purpose.model import OTHER, Purpose
from toda_desktop.formatting import format_count

STATUS_WORDS = {"pending": "承認待ち", "approved": "承認済み", "declined": "却下",
                "used": "使用済み"}
MISSING_PURPOSE = ("児童生徒を特定できる出力には --purpose で目的を指定してください"
                   "（選べる目的は `export-approval purposes` で表示します。"
                   f"一覧にないときは --purpose {OTHER} --purpose-note \"具体的な目的\"）。")


def add_purpose_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--purpose", metavar="TEXT",
                        help="出力の目的（一覧の言葉。児童生徒を特定できる出力では必須）")
    parser.add_argument("--purpose-note", metavar="TEXT", default="",
                        help=f"目的の補足（--purpose {OTHER} のときは必須）")
    parser.add_argument("--approval", type=int, metavar="N",
                        help="事業全体総括職員の承認番号（承認が必要な人数を超えるとき）")


def purpose_from_args(args: argparse.Namespace) -> Purpose | None:
    """The stated purpose, or None when neither a purpose nor an approval was given."""
    if not args.purpose and args.approval is None:
        return None
    return Purpose(args.purpose or "", args.purpose_note or "", args.approval)


def require_purpose(args: argparse.Namespace) -> Purpose:
    """For a command that exports identifiable data only: refused before anything runs."""
    purpose = purpose_from_args(args)
    if purpose is None:
        raise UserFacingError(MISSING_PURPOSE)
    return purpose


def cmd_export_approval(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import EXIT_OK, _sign_in

    app, signed = _sign_in(args)
    try:
        service = signed.export_purposes
        if args.approval_command == "purposes":
            for entry in service.purposes():
                out.write(f"  {entry}\n")
            out.write(f"  {OTHER}（--purpose-note で具体的に）\n")
            out.write(f"{format_count(service.threshold())}人を超える出力には承認が必要です。\n")
        elif args.approval_command == "request":
            if not args.dataset:
                raise UserFacingError("--dataset で出力するデータの種類を指定してください。")
            request_id = service.request_dataset(args.dataset, require_purpose(args))
            out.write(f"承認を依頼しました（依頼番号 {request_id}）。承認されたら、同じ日のうちに "
                      f"export --approval {request_id} で出力してください。\n")
        else:
            for row in service.my_requests():
                until = "" if row.valid_until is None else f" 期限 {row.valid_until:%Y-%m-%d %H:%M}"
                out.write(f"  {row.id}\t{STATUS_WORDS.get(row.status, row.status)}\t"
                          f"{row.description}\t{format_count(row.pupils)}人\t{row.purpose}"
                          f"{until}\n")
    finally:
        app.close()
    return EXIT_OK


def add_export_approval_commands(subparsers: Any) -> None:
    """``export-approval purposes | request | list``."""
    cmd = subparsers.add_parser(
        "export-approval", help="出力の目的の一覧・多人数の出力の承認の依頼",
        description=("児童生徒を特定できる出力の目的の一覧を表示し（purposes）、承認が必要な人数を"
                     "超えるデータの出力の承認を依頼し（request）、自分の依頼を表示します（list）。"
                     "承認・却下は事業全体総括職員が画面の「出力の承認」で行います。"))
    cmd.add_argument("approval_command", choices=["purposes", "request", "list"],
                     metavar="purposes|request|list")
    cmd.add_argument("--store", required=True, help="データベースファイル")
    cmd.add_argument("--user", help="ログインID（TODA_USER でも可）")
    cmd.add_argument("--dataset", help="request: 出力するデータの種類（export と同じ）")
    add_purpose_arguments(cmd)
    cmd.set_defaults(handler=cmd_export_approval)

