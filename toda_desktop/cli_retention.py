"""The ``retention`` commands of the command line (issue 13)::

    python -m toda_desktop retention plan    --store PATH [--user ID] [--as-of YYYY-MM-DD]
    python -m toda_desktop retention show    --store PATH [--user ID] [--plan N]
    python -m toda_desktop retention approve --store PATH [--user ID] --plan N
    python -m toda_desktop retention run     --store PATH [--user ID] --plan N

``plan`` is the dry run: it counts, per kind and school year, what has passed its retention
and changes nothing; ``approve`` is the project lead's approval of those counts; ``run``
removes them, writes the deletion certificate into the audit log and cleans the files.
Sign-in is the command line's own (``toda_desktop.cli._sign_in``). Exit status: 0 success,
2 failure.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any, TextIO

from toda_desktop.cli_progress import percent_lines
from toda_desktop.errors import UserFacingError
from toda_desktop.formatting import format_count
from toda_desktop.retention.views import PlanView, related_lines
from toda_desktop.staff import staff_label

EXIT_OK = 0


def write_plan(plan: PlanView, out: TextIO) -> None:
    """The plan as a table of counts (never a name)."""
    out.write(f"削除計画 {plan.id}（{plan.status_label}）: {plan.as_of.isoformat()} 時点で"
              f"保存期間を過ぎた記録 {format_count(plan.records)}件\n")
    out.write(f"  作成: {staff_label(plan.made_by)} {plan.made_at.isoformat(sep=' ')}\n")
    if plan.approved_by and plan.approved_at:
        out.write(f"  承認: {staff_label(plan.approved_by)} "
                  f"{plan.approved_at.isoformat(sep=' ')}\n")
    if plan.run_by and plan.run_at:
        out.write(f"  実行: {staff_label(plan.run_by)} {plan.run_at.isoformat(sep=' ')}\n")
    if plan.lines:
        out.write("  種類\t保存期間の区分\t年度\t処理\t記録数\t児童生徒数"
                  + ("\t削除・仮名化した数" if plan.status == "done" else "") + "\n")
    for line in plan.lines:
        done = "" if line.done is None else f"\t{format_count(line.done)}"
        out.write(f"  {line.label}\t{line.class_label}\t{line.school_year}年度\t"
                  f"{line.action_label}\t{format_count(line.records)}\t"
                  f"{format_count(line.pupils)}{done}\n")
    if plan.unseen:
        out.write("  鍵または権限がないため計画に含まれていない種類: "
                  f"{'、'.join(plan.unseen)}\n")


def _plan_id(args: argparse.Namespace) -> int:
    if args.plan is None:
        raise UserFacingError("計画の番号を --plan で指定してください。")
    return int(args.plan)


def cmd_retention(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    as_of = None
    if args.as_of:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise UserFacingError("--as-of は YYYY-MM-DD の形で指定してください。") from None
    app, signed = _sign_in(args)
    try:
        service = signed.retention
        command = args.retention_command
        if command == "plan":
            plan = service.make_plan(as_of)
            write_plan(plan, out)
            out.write("この計画はまだ実行されていません。承認を受けてから"
                      f" retention run --plan {plan.id} で実行してください。\n")
        elif command == "show":
            shown = service.plan(int(args.plan)) if args.plan else service.current()
            if shown is None:
                out.write("削除計画はまだありません。\n")
            else:
                write_plan(shown, out)
        elif command == "approve":
            write_plan(service.approve(_plan_id(args)), out)
            out.write("承認しました。\n")
        else:
            result = service.run(_plan_id(args), progress=percent_lines(out, "実行しています"))
            write_plan(result.plan, out)
            for line in related_lines(result.related):
                out.write(f"  併せて削除: {line}\n")
            out.write(f"削除証明を監査ログに記録しました。{result.files}個のファイルを"
                      "整理しました（削除した内容が残らないよう上書き・圧縮）。\n")
            if result.log_left:
                out.write("一部のファイルは他の利用者が使用中のため、整理を終えられません"
                          "でした。利用者の少ないときに、新しい削除計画（0件でも可）を"
                          "承認・実行すると、すべてのファイルを整理します。\n")
    finally:
        app.close()
    return EXIT_OK


def add_retention_commands(sub: Any) -> None:
    """Add ``retention plan|show|approve|run`` to the command line's subparsers."""
    command = sub.add_parser(
        "retention", help="保存期間を過ぎた記録の削除（計画・承認・実行）",
        description=(
            "保存期間（docs/RETENTION.md）を過ぎた記録を数え（plan：何も変更しません）、"
            "事業全体総括職員が承認し（approve）、実行します（run：削除・仮名化し、"
            "削除証明を監査ログに記録します）。show で計画を表示します。"),
    )
    command.add_argument("retention_command", choices=["plan", "show", "approve", "run"],
                         metavar="plan|show|approve|run",
                         help="plan: 削除計画を作る、show: 表示、approve: 承認、run: 実行")
    command.add_argument("--store", required=True, help="データベースファイル")
    command.add_argument("--user", help="ログインID（TODA_USER でも可）")
    command.add_argument("--plan", type=int, metavar="N", help="計画の番号")
    command.add_argument("--as-of", metavar="YYYY-MM-DD",
                         help="plan: この日の時点で判定する（省略時は今日。今日より後は不可）")
    command.set_defaults(handler=cmd_retention)


__all__ = ["add_retention_commands", "cmd_retention", "write_plan"]
