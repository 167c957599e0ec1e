"""The ``keys`` commands of the command line (issue 13)::

    python -m toda_desktop keys list   --store PATH [--user ID]
    python -m toda_desktop keys rotate --store PATH [--user ID] (--group NAME ... | --all)
                                       [--reason leak_suspected|holder_left|routine]

``list`` shows each data key: its group, words, generation, how many accounts hold it,
whether you hold it and whether it waits to be renewed (no names, no secrets). ``rotate``
renews the keys you hold (an administrator holding the key: the project lead) and logs it
with the reason, 漏えいの疑い by default; ``--all`` renews every key you hold. Other
sessions still open on the store are asked to sign in again.

Sign-in is the command line's own (``toda_desktop.cli._sign_in``: --user or TODA_USER,
TODA_PASSWORD or a prompt). Exit status as for every command: 0 success, 2 failure.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from toda_desktop.accounts.key_rotation import REASONS, KeyGroupState
from toda_desktop.cli_progress import percent_lines
from toda_desktop.errors import UserFacingError

EXIT_OK = 0


def add_key_commands(sub: Any) -> None:
    """Add ``keys list`` and ``keys rotate`` to the command line's subparsers."""
    keys = sub.add_parser("keys", help="データの鍵（一覧・更新）")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="操作")
    listing = keys_sub.add_parser("list", help="データの鍵の世代と持っている人数を表示する")
    rotate = keys_sub.add_parser(
        "rotate", help="データの鍵を更新する（漏えいの疑いなど。鍵を持つ管理者のみ）")
    for command in (listing, rotate):
        command.add_argument("--store", required=True, help="データベースファイル")
        command.add_argument("--user", help="ログインID（TODA_USER でも可）")
    which = rotate.add_mutually_exclusive_group(required=True)
    which.add_argument("--group", action="append", metavar="NAME",
                       help="更新する鍵の区分（keys list の「区分」。繰り返し指定できます）")
    which.add_argument("--all", action="store_true", help="あなたが持つすべてのデータの鍵")
    rotate.add_argument("--reason", choices=sorted(REASONS), default="leak_suspected",
                        help="理由（既定: leak_suspected＝漏えいの疑い。holder_left＝鍵を持つ"
                             "職員の異動・退職、routine＝定期的な更新）")
    listing.set_defaults(handler=cmd_keys_list)
    rotate.set_defaults(handler=cmd_keys_rotate)


def _row(state: KeyGroupState) -> str:
    marks = ("保有" if state.held else "—", "更新待ち" if state.due else "")
    return (f"{state.group}\t{state.label}\t第{state.generation}世代\t{state.holders}人\t"
            + "\t".join(marks).rstrip())


def cmd_keys_list(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    app, signed = _sign_in(args)
    try:
        states = signed.key_rotation.key_groups()
    finally:
        app.close()
    out.write("区分\t名称\t世代\t持っている人数\tあなた\t状態\n")
    for state in states:
        out.write(_row(state) + "\n")
    out.write("（データベースのファイル自体の鍵（system）は更新の対象外です。）\n")
    return EXIT_OK


def cmd_keys_rotate(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    app, signed = _sign_in(args)
    try:
        service = signed.key_rotation
        if args.all:
            groups = [s.group for s in service.key_groups() if s.held]
            if not groups:
                raise UserFacingError("更新できるデータの鍵をお持ちではありません。")
        else:
            groups = list(args.group)
        progress = percent_lines(out, "鍵を更新しています")
        renewed = service.rotate(groups, args.reason, progress=progress)
    finally:
        app.close()
    out.write(f"データの鍵を更新しました（理由: {REASONS[args.reason]}）: {'、'.join(renewed)}\n")
    out.write("ほかの画面やパソコンでサインインしている人は、もう一度サインインが必要です。\n")
    return EXIT_OK
