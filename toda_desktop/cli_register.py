"""The ``register`` command: the 個人情報ファイル簿 (register of personal-information files)::

    python -m toda_desktop register --store PATH [--user ID] --out FILE.xlsx|.csv|.md [--force]

For the project lead or an administrator. Made from the data registry, the permission map
saved in the store and resources/register.toml; it holds no personal data, but writing it is
an export like any other (audit-logged, a new file unless --force).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import FORCE_HELP, check_output_path
from toda_desktop.register.service import FORMATS

EXIT_OK = 0


def cmd_register(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in  # (the command line's own sign-in)

    target = Path(args.out)
    check_output_path(target, overwrite=args.force)
    if target.suffix.lower() not in FORMATS:
        raise UserFacingError("出力ファイルの名前は .xlsx、.csv または .md で終えてください"
                              "（形式を決めます）。")
    app, signed = _sign_in(args)
    try:
        result = signed.register.export(target, overwrite=args.force)
    finally:
        app.close()
    out.write(f"個人情報ファイル簿（{result.rows}ファイル分）を出力しました: {result.path}\n")
    return EXIT_OK


def add_register_command(sub: Any) -> None:
    command = sub.add_parser(
        "register", help="個人情報ファイル簿を出力する（総括職員・管理者）",
        description=("データの登録簿・権限設定・resources/register.toml から個人情報ファイル簿を"
                     "作成します。形式は出力ファイルの拡張子（.xlsx、.csv、.md）で決まります。"
                     "出力は監査ログに記録されます。"),
    )
    command.add_argument("--store", required=True, help="データベースファイル")
    command.add_argument("--user", help="ログインID（TODA_USER でも可）")
    command.add_argument("--out", required=True, help="出力ファイル（.xlsx、.csv または .md）")
    command.add_argument("--force", action="store_true", help=FORCE_HELP)
    command.set_defaults(handler=cmd_register)
