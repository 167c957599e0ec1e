"""The ``cases`` commands of the command line (issue 14, 支援ケース)::

    python -m toda_desktop cases list   --store PATH [--user ID] [--domain D] [--all]
                                        [--pupil N]
    python -m toda_desktop cases show   --store PATH [--user ID] --case KEY
    python -m toda_desktop cases import --store PATH [--user ID] FILE [--domain D]
                                        [--dry-run]

``list`` shows the cases the signed-in role may see (open ones unless ``--all``); ``show``
one case with its meetings, actions and reviews (a restricted note only as a line saying it
exists: it is opened in the window, with a reason); ``import`` reads a case-meeting file
(docs/DATA_FORMAT_CASES.md, ケース会議記録) — all rows or none (a row whose meeting is already
recorded is left out, with a warning). Every call goes through the case
service (policy, audit log). Sign-in is the command line's own (``toda_desktop.cli._sign_in``).
Exit status: 0 success, 1 an import refused (the reasons are printed), 2 failure.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from toda_desktop.cases.model import CaseDetail, CaseDomain, CaseStatus, CaseSummary
from toda_desktop.cases.service import ImportReport
from toda_desktop.errors import UserFacingError
from toda_desktop.formatting import class_label, format_count, format_date

EXIT_OK = 0
EXIT_REFUSED = 1
DOMAIN_CHOICES = {d.value: d for d in CaseDomain} | {d.label: d for d in CaseDomain}


def _domain(text: str | None) -> CaseDomain | None:
    if text is None:
        return None
    if text not in DOMAIN_CHOICES:
        raise UserFacingError("--domain には truancy（不登校）・bullying（いじめ）・"
                              "consultation（教育相談）のいずれかを指定してください。")
    return DOMAIN_CHOICES[text]


def summary_line(c: CaseSummary) -> str:
    where = " ".join(p for p in (c.school_name, class_label(c.grade, c.class_name)) if p)
    review = format_date(c.next_review) if c.next_review else "—"
    return (f"{c.key}\t{c.label}\t{c.status.label}\t{c.pupil_name}\t{where}\t{c.title}\t"
            f"次回の振り返り {review}\t未完了の手立て {c.open_actions}件")


def write_case(d: CaseDetail, out: TextIO) -> None:
    s = d.summary
    out.write(f"{s.label}（{s.status.label}）{s.pupil_name} {s.school_name}\n")
    out.write(f"  件名: {s.title or '—'}\n  きっかけ: {s.source.label}"
              f"{'（' + s.source_ref + '）' if s.source_ref else ''}\n")
    out.write(f"  作成: {s.opened_by} {format_date(s.opened_at)}\n")
    for label, text in (("本人の状況・特性・よさ", d.common.profile),
                        ("家庭の状況", d.common.family),
                        ("これまでの支援", d.common.support_history)):
        out.write(f"  {label}: {text or '—'}\n")
    for y in d.years:
        out.write(f"  学年別シート {y.school_year}年度: 状況 {y.situation or '—'} / "
                  f"目標 {y.goal or '—'} / 支援 {y.plan or '—'}\n")
    for m in d.meetings:
        state = "" if m.status.value == "recorded" else f"（{m.status.label}: {m.status_reason}）"
        out.write(f"  {m.meeting_type} {format_date(m.held_on)}{state}\n")
        out.write("    出席者: " + ("、".join(
            f"{a.name or a.organisation}（{a.role.value}"
            f"{'・' + a.organisation if a.organisation and a.name else ''}）"
            for a in m.attendees) or "—") + "\n")
        for label, text in (("本人の願い", m.child_wish), ("保護者の願い", m.guardian_wish),
                            ("見立て", m.assessment), ("よさ・強み", m.strengths),
                            ("長期目標", m.long_goal), ("短期目標", m.short_goal)):
            if text:
                out.write(f"    {label}: {text}\n")
        for a in m.actions:
            out.write(f"    手立て: {a.what}（担当 {a.owner or '—'}、期限 "
                      f"{format_date(a.due) if a.due else '—'}、{a.status.label}）\n")
        out.write(f"    次回の振り返り: {format_date(m.next_review) if m.next_review else '—'}\n")
        if m.unknown:
            out.write("    その他の項目: " + "、".join(f"{k}: {v}" for k, v in m.unknown) + "\n")
        if m.review is not None:
            out.write(f"    振り返り {format_date(m.review.reviewed_on)}: {m.review.done.label}・"
                      f"{m.review.worked.label} {m.review.comment}\n")
    for n in d.notes:
        text = "（閲覧制限のある記録です。画面から理由を記入して開いてください）" \
            if n.restricted else (n.text or "")
        out.write(f"  記録 {format_date(n.written_on)} {n.kind.label} {n.author}: {text}\n")


def write_import(report: ImportReport, out: TextIO) -> None:
    if report.committed:
        out.write(f"{report.file}: {format_count(report.rows)}行を読み、ケース会議の記録 "
                  f"{format_count(report.meetings)}件を取り込みました"
                  f"（新しいケース {format_count(report.cases_opened)}件）。\n")
    elif report.errors:
        out.write(f"{report.file}: 次の理由で取り込みませんでした（1行も記録していません）。\n")
    else:
        out.write(f"{report.file}: 確認しました。{format_count(report.meetings)}件の会議の"
                  f"記録を取り込めます（新しいケース {format_count(report.new_cases)}件。"
                  "まだ記録していません）。\n")
    if report.skipped:
        out.write(f"  同じ会議が既に記録されている{format_count(report.skipped)}行は取り込み"
                  f"{'ませんでした' if report.committed else 'ません'}（行は下の「確認」に"
                  "あります）。\n")
    for e in report.errors:
        out.write(f"  エラー: {e}\n")
    for w in report.warnings:
        out.write(f"  確認: {w}\n")


def cmd_cases(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    domain = _domain(args.domain)
    app, signed = _sign_in(args)
    try:
        service = signed.cases
        command = args.cases_command
        if command == "list":
            statuses = tuple(CaseStatus) if args.all else (CaseStatus.OPEN,)
            found = service.list_cases(domain=domain, statuses=statuses, pupil_id=args.pupil)
            for c in found:
                out.write(summary_line(c) + "\n")
            out.write(f"{format_count(len(found))}件\n")
        elif command == "show":
            if not args.case:
                raise UserFacingError("ケースを --case で指定してください（例: truancy:12）。")
            write_case(service.read_case(args.case), out)
        else:
            if not args.file:
                raise UserFacingError("取り込むファイルを指定してください。")
            report = service.import_file(Path(args.file), domain=domain, dry_run=args.dry_run)
            write_import(report, out)
            if report.errors:
                return EXIT_REFUSED
    finally:
        app.close()
    return EXIT_OK


def add_cases_commands(sub: Any) -> None:
    """Add ``cases list|show|import`` to the command line's subparsers."""
    command = sub.add_parser(
        "cases", help="支援ケース（児童生徒理解・支援シート）の一覧・表示・取込",
        description=("支援ケースを一覧し（list）、1件を表示し（show）、ケース会議記録の"
                     "ファイルを取り込みます（import：すべての行を記録するか、1行も記録"
                     "しないかのどちらかです）。"),
    )
    command.add_argument("cases_command", choices=["list", "show", "import"],
                         metavar="list|show|import")
    command.add_argument("file", nargs="?", help="import: ケース会議記録のファイル（CSV・Excel）")
    command.add_argument("--store", required=True, help="データベースファイル")
    command.add_argument("--user", help="ログインID（TODA_USER でも可）")
    command.add_argument("--domain", help="領域: truancy（不登校）・bullying（いじめ）・"
                                          "consultation（教育相談）")
    command.add_argument("--all", action="store_true", help="list: 終結・取り下げも含める")
    command.add_argument("--pupil", type=int, metavar="N", help="list: この児童生徒のケース")
    command.add_argument("--case", metavar="KEY", help="show: ケース（例: truancy:12）")
    command.add_argument("--dry-run", action="store_true",
                         help="import: 確認だけして記録しない")
    command.set_defaults(handler=cmd_cases)


__all__ = ["add_cases_commands", "cmd_cases"]
