"""``print-register``: the print register on the command line — one's own printed sheets,
or (the project lead, ``--all``) everyone's, with the overdue ones marked; ``--returned`` /
``--shredded SERIAL`` tick a sheet as the register page does (logged, history kept)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from toda_desktop.formatting import format_date, format_datetime
from toda_desktop.printing.service import DESTINATION_LABELS
from toda_desktop.staff import staff_label


def cmd_print_register(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import EXIT_OK, _sign_in

    app, signed = _sign_in(args)
    try:
        service = signed.printing
        if args.return_days is not None:
            service.set_return_days(args.return_days)
            out.write(f"返却・廃棄期限を印刷の{args.return_days}日後にしました。\n")
            return EXIT_OK
        if args.returned or args.shredded:
            serial = args.returned or args.shredded
            service.mark(serial, "returned" if args.returned else "shredded")
            out.write(f"{serial} を{'回収済み' if args.returned else '廃棄済み'}にしました。\n")
            return EXIT_OK
        register = service.register(everyone=args.all, with_voided=args.voided)
        entries = [e for e in register.entries if e.overdue or not args.overdue]
        out.write("印刷番号\t印刷日時\t印刷者\t種類\t内容\t目的\tページ\t人数\t出力先\t"
                  "返却・廃棄期限\t状態\n")
        for e in entries:
            state = e.status_label + ("（期限切れ）" if e.overdue else "")
            out.write(f"{e.serial}\t{format_datetime(e.printed_at)}\t{staff_label(e.printer)}\t"
                      f"{e.kind_label}\t{e.subject}\t{e.purpose}\t{e.pages}\t{e.pupils}\t"
                      f"{DESTINATION_LABELS.get(e.destination, '')}\t"
                      f"{format_date(e.return_by)}\t{state}\n")
        outstanding = sum(e.status == "outstanding" for e in register.entries)
        out.write(f"未回収 {outstanding}件（うち期限切れ {register.overdue}件）\n")
    finally:
        app.close()
    return EXIT_OK


def add_print_commands(subparsers: Any) -> None:
    cmd = subparsers.add_parser(
        "print-register", help="印刷の記録（印刷物の回収・廃棄）",
        description=("印刷した資料の一覧を表示します（自分の印刷物。事業全体総括職員は --all で"
                     "全員分）。--returned / --shredded で印刷物を回収済み・廃棄済みにします。"))
    cmd.add_argument("--store", required=True, help="データベースファイル")
    cmd.add_argument("--user", help="ログインID（TODA_USER でも可）")
    cmd.add_argument("--all", action="store_true", help="全員の印刷物（事業全体総括職員）")
    cmd.add_argument("--overdue", action="store_true", help="返却・廃棄期限を過ぎたものだけ")
    cmd.add_argument("--voided", action="store_true", help="取消（印刷しなかったもの）も表示")
    cmd.add_argument("--return-days", type=int, metavar="N",
                     help="返却・廃棄期限を印刷のN日後にする（事業全体総括職員、標準14日）")
    tick = cmd.add_mutually_exclusive_group()
    tick.add_argument("--returned", metavar="SERIAL", help="回収済みにする印刷番号")
    tick.add_argument("--shredded", metavar="SERIAL", help="廃棄済みにする印刷番号")
    cmd.set_defaults(handler=cmd_print_register)
