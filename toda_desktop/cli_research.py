"""The ``research`` commands of the command line (issue 13, 研究用データ)::

    python -m toda_desktop research extract  --store PATH --project NAME --years Y [Y ...]
                                             (--kinds K [K ...] | --columns KIND.COL [...])
                                             --out DIR --purpose TEXT [--user ID]
    python -m toda_desktop research projects --store PATH [--user ID]
    python -m toda_desktop research approve  --store PATH --project NAME [--user ID]

``extract`` registers the project first when it is new (approved at once when the project
lead makes it; otherwise it waits for the lead's ``approve``), then writes the pupil table,
one table per chosen kind and the aggregate tables as Parquet and CSV with a data dictionary
into DIR (new files only). ``--kinds`` takes every column the extract may carry of each kind;
``--columns`` picks single ones. Sign-in as for every command (``toda_desktop.cli._sign_in``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from toda_desktop.errors import UserFacingError
from toda_desktop.formatting import format_count, format_datetime
from toda_desktop.staff import staff_label

if TYPE_CHECKING:
    from toda_desktop.research.service import ExtractSummary, ResearchService

EXIT_OK = 0


def _split(values: list[str] | None) -> list[str]:
    return [v for value in values or () for v in value.replace("、", ",").split(",") if v]


def _years(values: list[str]) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in _split(values))
    except ValueError:
        raise UserFacingError("--years には年度を数字で指定してください（例: 2024 2025）。"
                              ) from None


def _columns(service: ResearchService, kinds: list[str], columns: list[str]
             ) -> tuple[tuple[str, str], ...]:
    offered = service.variables()
    chosen: list[tuple[str, str]] = []
    for kind in kinds:
        of_kind = [(v.kind, v.column) for v in offered if v.kind == kind]
        if not of_kind:
            chosen.append((kind, ""))  # the service says why (no key, not allowed, unknown)
        chosen += of_kind
    for item in columns:
        kind, _, column = item.partition(".")
        if not column:
            raise UserFacingError(f"--columns は「種類.列」で指定してください（例: "
                                  f"attendance_monthly.absence_days）: {item}")
        chosen.append((kind, column))
    if not chosen:
        raise UserFacingError("--kinds か --columns で含めるデータを指定してください。")
    return tuple(chosen)


def summary_lines(s: ExtractSummary) -> list[str]:
    """The disclosure summary in the words the window uses."""
    lines = [
        f"対象の児童生徒・年度: {format_count(s.population)}件、"
        f"出力: {format_count(s.published)}件",
        f"k-匿名性: k = {s.k}、一般化の段階 {s.step}（{s.step_label}）、"
        f"組み合わせ {format_count(s.classes)}（最小 {format_count(s.smallest)}人）",
        f"k 未満のため除外した児童生徒・年度: {format_count(s.withheld)}件",
        f"集計表の秘匿: 一次秘匿 {format_count(s.primary)}セル、"
        f"補完秘匿 {format_count(s.complementary)}セル",
    ]
    lines += [f"{kind}: {format_count(rows)}行" for kind, rows in s.rows.items()]
    return lines


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in
    from toda_desktop.research.service import ExtractRequest

    folder = Path(args.out)
    if not folder.is_dir():
        raise UserFacingError("出力先のフォルダが見つかりません。"
                              "今あるフォルダを指定してください。")
    years = _years(args.years)
    app, signed = _sign_in(args)
    try:
        service = signed.research
        columns = _columns(service, _split(args.kinds), _split(args.columns))
        if args.project.strip() not in {p.name for p in service.projects()}:
            project = service.register_project(args.project, args.purpose)
            out.write(f"研究プロジェクト「{project.name}」を登録しました"
                      f"{'（承認済み）' if project.approved_by else '（承認待ち）'}。\n")
        written = service.extract(
            ExtractRequest(args.project, args.purpose, years, columns), folder)
    finally:
        app.close()
    for line in summary_lines(written.summary):
        out.write(line + "\n")
    out.write(f"{len(written.files)}個のファイルを出力しました: {folder}\n")
    return EXIT_OK


def cmd_projects(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    app, signed = _sign_in(args)
    try:
        projects = signed.research.projects()
    finally:
        app.close()
    if not projects:
        out.write("登録された研究プロジェクトはありません。\n")
    for p in projects:
        state = (f"承認 {staff_label(p.approved_by)} {format_datetime(p.approved_at)}"
                 if p.approved_by and p.approved_at else "承認待ち")
        out.write(f"{p.name}\t{p.purpose}\t登録 {staff_label(p.created_by)}"
                  f" {format_datetime(p.created_at)}\t{state}\n")
    return EXIT_OK


def cmd_approve(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    app, signed = _sign_in(args)
    try:
        project = signed.research.approve_project(args.project)
    finally:
        app.close()
    out.write(f"研究プロジェクト「{project.name}」を承認しました。\n")
    return EXIT_OK


def add_research_commands(subparsers: Any) -> None:
    """Add ``research extract | projects | approve`` to the main parser's subcommands."""
    research = subparsers.add_parser(
        "research", help="研究用データ（仮名化・k匿名化したParquet/CSV）の作成")
    sub = research.add_subparsers(dest="research_command", metavar="コマンド", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", required=True, help="データベースファイル")
        p.add_argument("--user", help="ログインID（TODA_USER でも可）")

    extract = sub.add_parser("extract", help="研究用データを作成する")
    common(extract)
    extract.add_argument("--project", required=True,
                         help="研究プロジェクト名（新しい名前なら登録します）")
    extract.add_argument("--years", required=True, nargs="+", help="年度（例: 2024 2025）")
    extract.add_argument("--kinds", nargs="+",
                         help="含めるデータの種類（その種類の出力できる列をすべて含めます）")
    extract.add_argument("--columns", nargs="+", metavar="KIND.COLUMN",
                         help="含める列（例: attendance_monthly.absence_days）")
    extract.add_argument("--out", required=True, help="出力先のフォルダ（新しいファイルのみ作成）")
    extract.add_argument("--purpose", required=True, help="利用目的（監査ログに記録されます）")
    extract.set_defaults(handler=cmd_extract)

    projects = sub.add_parser("projects", help="研究プロジェクトの一覧")
    common(projects)
    projects.set_defaults(handler=cmd_projects)

    approve = sub.add_parser("approve", help="研究プロジェクトを承認する（事業全体総括職員）")
    common(approve)
    approve.add_argument("--project", required=True, help="研究プロジェクト名")
    approve.set_defaults(handler=cmd_approve)
