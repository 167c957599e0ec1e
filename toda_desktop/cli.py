"""The command line for batch work: the same services as the window, in Japanese.

    python -m toda_desktop init  --store PATH [--demo [--seed N] [--small] | --test] [--user ID]
    python -m toda_desktop demo  --out DIR [--seed N] [--messy] [--small]
    python -m toda_desktop info  --store PATH [--user ID]
    python -m toda_desktop check --store PATH [--user ID]
    python -m toda_desktop dictionary [--out FILE]
    python -m toda_desktop register --store PATH --out FILE.xlsx|.csv|.md [--force]
    python -m toda_desktop audit verify|list --store PATH [--actor ID] [--csv FILE [--force]]
        [--searched WORDS]
                                  [--anchor-dir DIR]
    python -m toda_desktop audit anchor --store PATH [--dir DIR]
    python -m toda_desktop import --store PATH [--kind K] [--sheet NAME] [--overwrite]
                                  [--dry-run] [--report F [--force]] FILE...
    python -m toda_desktop import list|rollback --store PATH [--batch N]
    python -m toda_desktop review list|decide --store PATH [--limit N] [--item N
                                  --pupil ID|--address-code CODE|--reject]
    python -m toda_desktop export --store PATH --dataset KIND --out FILE [--cp932] [--force]
    python -m toda_desktop risk train|evaluate|score --store PATH [--month YYYY-MM] [--top 5]
    python -m toda_desktop recovery grant --store PATH --account ID --reason TEXT [--hours H]
    python -m toda_desktop scanners accept --store PATH
    python -m toda_desktop keys list|rotate --store PATH [--group NAME ... | --all] [--reason R]
    python -m toda_desktop retention plan|show|approve|run --store PATH [--plan N]

Output files are created new: an existing file is replaced only with --force (the data
dictionary, which holds no personal data, is always rewritten). Commands that open a store
authenticate: the user from --user or TODA_USER, the password from
TODA_PASSWORD or a prompt. Exit status: 0 success, 1 a problem was found, 2 the command failed.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from kernel.store_kind import StoreKind
from storage.connection import DatabaseError, translate
from storage.errors import StoreError
from toda_desktop.cli_backup import add_backup_commands
from toda_desktop.cli_cases import add_cases_commands
from toda_desktop.cli_export_purpose import (
    add_export_approval_commands,
    add_purpose_arguments,
    purpose_from_args,
    require_purpose,
)
from toda_desktop.cli_keys import add_key_commands
from toda_desktop.cli_print import add_print_commands
from toda_desktop.cli_progress import elapsed_text, live_percent
from toda_desktop.cli_research import add_research_commands
from toda_desktop.cli_retention import add_retention_commands
from toda_desktop.cli_school_karte import add_school_karte_commands
from toda_desktop.composition import Application, SignedIn, open_application
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import (
    FORCE_HELP,
    ExistingFile,
    check_output_path,
    write_text_file,
)
from toda_desktop.formatting import (
    format_bytes,
    format_count,
    format_datetime,
    format_phrase,
    format_placement,
)
from toda_desktop.passwords import MIN_LENGTH
from toda_desktop.risk.cli import add_risk_commands
from toda_desktop.store_setup import create_demo_store, create_empty_store

if TYPE_CHECKING:
    from toda_desktop.importing.service import FileInspection, ImportPreview

EXIT_OK, EXIT_PROBLEM, EXIT_FAILED = 0, 1, 2
DEBUG_ENV = "TODA_DEBUG"  # "1": let unexpected errors raise with their traceback (developers)
# Every store the command line makes has key wraps at the full scrypt cost: nothing from
# outside (environment, options) can make them cheaper. A cheaper cost exists only for the
# test suite, through the Python API (tests/conftest.py).


def _password(prompt: str, *, confirm: bool = False) -> str:
    from_env = os.environ.get("TODA_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise UserFacingError("パスワードを入力できません。TODA_PASSWORD を設定してください。")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("もう一度入力してください: ") != first:
        raise UserFacingError("パスワードが一致しません。")
    return first


def _user(args: argparse.Namespace, default: str | None = None) -> str:
    user = args.user or os.environ.get("TODA_USER") or default
    if not user:
        raise UserFacingError("ユーザーを --user または TODA_USER で指定してください。")
    return str(user)


def _sign_in(args: argparse.Namespace) -> tuple[Application, SignedIn]:
    app = open_application(Path(args.store))
    return app, app.sign_in(_user(args), _password("パスワード: "))


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.store)
    if args.demo:
        started = time.monotonic()
        created = create_demo_store(
            path, seed=args.seed, small=args.small,
            progress=live_percent(out, "デモ都市を作成しています"),
        )
        if not args.small:
            created.store.close()
            _demo_alerts(path, out)
        out.write(f"（所要 {elapsed_text(time.monotonic() - started)}）\n")
        header = open_application(path).header
        out.write(f"デモ用データベースを作成しました: {path}\n")
        out.write("デモ用アカウント（すべて架空のデータです）:\n")
        for account in header.demo_accounts:
            out.write(
                f"  {account.login_id:<15} {account.role_label:<14} "
                f"パスワード: {account.password}\n"
            )
    else:
        kind = StoreKind.TEST if args.test else StoreKind.PRODUCTION
        login = _user(args, default="lead")
        password = _password("最初のアカウント（事業全体総括職員）のパスワード: ", confirm=True)
        created = create_empty_store(path, kind, login, password)
        label = "テスト用" if kind == StoreKind.TEST else "本番用"
        out.write(f"{label}データベースを作成しました: {path}\n")
        out.write(f"最初のアカウント: {login}（事業全体総括職員）\n")
    out.write(
        "\n回復キー（この一度だけ表示します。紙に書き写し、金庫など安全な場所に保管してください）:\n"
        f"  {created.recovery_key}\n"
    )
    created.store.close()
    return EXIT_OK


def _demo_alerts(path: Path, out: TextIO) -> None:
    """A first model (the demo grid: the quick one without its L1 candidate) and the latest
    month's watch lists, so that the demo shows the 見守りアラート and 予測モデル screens
    filled; about 15 s of computing."""
    from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

    app = open_application(path)
    try:
        signed = app.sign_in(DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD)
        signed.risk.train(demo=True, progress=live_percent(
            out, "見守りアラートの例: 予測モデルを学習しています（簡易学習）"))
        months = signed.risk.list_months()
        if months:
            signed.risk.score(months[-1], progress=live_percent(
                out, "見守りアラートの例: 一覧を作成しています"))
    finally:
        app.close()


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.demo import DemoConfig, generate_city, write_interchange_files

    config = DemoConfig.small(seed=args.seed) if args.small else DemoConfig(seed=args.seed)
    city = generate_city(config)
    result = write_interchange_files(city, Path(args.out), messy=args.messy, seed=args.seed)
    total = len(result.files) + len(result.forms)
    out.write(f"取込用ファイルを {total} 個書き出しました: {args.out}\n")
    if result.forms:
        out.write(f"  うち {len(result.forms)} 個は学校や業者が実際に送ってくる様式です"
                  "（月が列、学期別、シート2枚のブック、集計行、保健室の来室記録、日本語の設問コード、"
                  "AiGROW・RST・Q-U、学校質問紙）。児童生徒基本情報・学校・在籍を先に取り込んで"
                  "ください。\n")
    out.write(f"正解データ（テスト用・取込しないこと）: {result.ground_truth_dir}\n")
    return EXIT_OK


def cmd_info(args: argparse.Namespace, out: TextIO) -> int:
    app, signed = _sign_in(args)
    try:
        overview = signed.overview()
        out.write(f"データベース: {args.store}\n")
        out.write(f"種類: {overview.store_kind_label}\n")
        out.write(f"作成日時: {signed.store.created_at}\n")
        out.write(f"サイズ: {format_bytes(overview.store_size_bytes)}\n")
        pupils = overview.pupil_count
        out.write("児童生徒数: " + ("（児童生徒基本情報の鍵をお持ちでないため表示しません）"
                                     if pupils is None else format_count(pupils)) + "\n")
        if overview.withheld:
            out.write(f"{overview.withheld}\n")
        years = overview.school_years
        if overview.datasets:
            out.write("データ種別" + "".join(f"\t{y}年度" for y in years) + "\t合計\n")
        else:
            out.write("データ種別: この役割で件数を見られるデータはありません。\n")
        for row in overview.datasets:
            cells = "".join(f"\t{format_count(row.counts_by_year.get(y, 0))}" for y in years)
            out.write(f"{row.label}{cells}\t{format_count(row.total)}\n")
        if overview.last_import is not None:
            last = overview.last_import
            what = ("（種類・件数・取込者は非表示）" if last.row_count is None else
                    f" {last.kind_label}（{last.source_name}、{format_count(last.row_count)}件）")
            out.write(f"最終取込: {last.imported_at:%Y-%m-%d %H:%M}{what}\n")
        out.write(f"整合性: {format_phrase(overview.integrity.message)}\n")
    finally:
        app.close()
    return EXIT_OK


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    app, signed = _sign_in(args)
    try:
        state = signed.check_integrity()
    finally:
        app.close()
    out.write(("正常: " if state.ok else "異常: ") + format_phrase(state.message) + "\n")
    return EXIT_OK if state.ok else EXIT_PROBLEM


def cmd_dictionary(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.data_dictionary import render

    text = render()
    if args.out:
        write_text_file(Path(args.out), text, overwrite=True)  # no personal data: regenerated
        out.write(f"データ辞書を書き出しました: {args.out}\n")
    else:
        out.write(text)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.audit.service import AuditFilter

    app, signed = _sign_in(args)
    try:
        if args.audit_command == "anchor":
            if args.dir is None:
                folder = signed.audit_view.outside_folder()
                out.write(f"監査ログの外部の控えの場所: {folder or '（未設定）'}\n")
                return EXIT_OK
            out.write(signed.audit_view.set_outside_folder(Path(args.dir)) + "\n")
            return EXIT_OK
        if args.audit_command == "verify":
            extra = None if args.anchor_dir is None else Path(args.anchor_dir)
            check = signed.audit_view.verify(extra)
            out.write(("正常: " if check.ok else "異常: ") + format_phrase(check.message) + "\n")
            return EXIT_OK if check.ok else EXIT_PROBLEM
        filters = AuditFilter(actor=args.actor, action=args.action, pupil_id=args.pupil)
        if args.csv:
            result = signed.audit_view.export_csv(Path(args.csv), filters,
                                                  overwrite=args.force)
            out.write(f"監査ログ {format_count(result.rows)} 件を出力しました: {result.path}\n")
            return EXIT_OK
        rows = (signed.search_words.searches_with(args.searched, filters) if args.searched
                else signed.audit_view.entries(filters))  # issue 13: --searched
        for row in rows:
            out.write(
                f"{row.id}\t{row.at:%Y-%m-%d %H:%M:%S}\t{row.actor_text}\t{row.action_label}"
                f"\t{row.outcome_label}\t{row.target_text}\t{row.pupil_id or ''}\n"
            )
        return EXIT_OK
    finally:
        app.close()


def _recovery_key() -> str:
    key = os.environ.get("TODA_RECOVERY_KEY")
    if not key:
        if not sys.stdin.isatty():
            raise UserFacingError(
                "回復キーを入力できません。TODA_RECOVERY_KEY を設定してください。"
            )
        key = getpass.getpass("回復キー: ")
    return key


def cmd_recovery(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.recovery import grant_recovery_sign_in

    key = _recovery_key()
    expires = grant_recovery_sign_in(
        Path(args.store), key, args.account, args.reason, hours=args.hours
    )
    out.write(
        f"{args.account} に手のひら静脈なしのサインインを1回だけ許可しました"
        f"（{expires:%Y-%m-%d %H:%M} まで）。\n"
    )
    return EXIT_OK


def cmd_scanners(args: argparse.Namespace, out: TextIO) -> int:
    """``scanners accept``: the store accepts the vendor scanners installed now."""
    from toda_desktop.scanner_admission import accept_installed_backends

    accepted = accept_installed_backends(Path(args.store), _recovery_key())
    out.write("このデータベースで使用できる静脈認証スキャナを登録しました:\n")
    for backend in accepted:
        out.write(f"  {backend.name} {backend.version}\n")
    return EXIT_OK


IMPORT_ACTIONS = ("list", "rollback")


def _import_action(args: argparse.Namespace) -> str | None:
    """``import list`` / ``import rollback``: the first word, unless a file has that name."""
    first = args.files[0]
    if first in IMPORT_ACTIONS and not Path(first).exists():
        if len(args.files) > 1:
            raise UserFacingError(f"import {first} にはファイルを指定しません。")
        return str(first)
    return None


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    action = _import_action(args)
    if action is None and args.batch is not None:
        raise UserFacingError("--batch は import rollback で使います。")
    if action == "rollback" and args.batch is None:
        raise UserFacingError("取り消す取込の番号を --batch で指定してください"
                              "（番号は import list で確かめられます）。")
    app, signed = _sign_in(args)
    try:
        if action == "list":
            return _import_list(signed, out)
        if action == "rollback":
            return _import_rollback(signed, int(args.batch), out)
        return _import_files(signed, args, out)
    finally:
        app.close()


def _import_files(signed: SignedIn, args: argparse.Namespace, out: TextIO) -> int:
    """Each file (each sheet of a workbook) is its own all-or-nothing import. Exit code:
    the worst of the files: 2 when a file was refused or not imported at all, 1 when rows
    (or sheets) were left out, 0 otherwise."""
    if args.report:  # checked before anything is imported, not after the commits
        check_output_path(Path(args.report), overwrite=args.force)
        require_purpose(args)  # (asked again when the report is written)
    codes = [EXIT_OK]
    failed: list[str] = []
    previews: list[ImportPreview] = []
    try:
        return _import_each(signed, args, out, codes, failed, previews)
    finally:
        for preview in previews:  # their findings (a spill file) go with them
            preview.close()


def _import_each(
    signed: SignedIn, args: argparse.Namespace, out: TextIO, codes: list[int],
    failed: list[str], previews: list[ImportPreview],
) -> int:
    for name in args.files:
        path = Path(name)
        try:
            code = _import_file(signed, path, args, out, previews)
        except (UserFacingError, StoreError, OSError) as exc:
            # Say why this one was not imported and go on with the next.
            message = (os_error_message(exc) if isinstance(exc, OSError)
                       else exc.message_ja)
            out.write(f"{path.name}: 取り込めませんでした — {message}\n")
            code = EXIT_FAILED
        if code == EXIT_FAILED:
            failed.append(path.name)
        codes.append(code)
    if failed:
        out.write(f"取り込めなかったファイル {len(failed)}件: {'、'.join(failed)}\n")
    if args.dry_run:
        out.write("確認だけで、何も書き込んでいません（--dry-run）。各ファイルは今のデータベース"
                  "と比べています（同じ内容のファイルを続けて指定した場合、2つ目は実際には"
                  "新しい行になりません）。\n" if len(args.files) > 1
                  else "確認だけで、何も書き込んでいません（--dry-run）。\n")
    if args.report:
        signed.importing.export_issues(previews, Path(args.report), overwrite=args.force,
                                       purpose=require_purpose(args))
        out.write(f"検証結果を書き出しました: {args.report}\n")
    return max(codes)


# Counts of rows a file holds but the import leaves out (the exit code says so).
ROWS_LEFT_OUT = ("error_rows", "rejected", "duplicates_in_file")
TOP_REASONS = 5


def _import_file(
    signed: SignedIn, path: Path, args: argparse.Namespace, out: TextIO,
    previews: list[ImportPreview],
) -> int:
    """One file: every sheet that is read, and a line for every sheet that is not."""
    inspections = signed.importing.inspect_sheets(path, args.kind, sheet=args.sheet)
    sheets = inspections[0].sheets
    code = EXIT_OK
    if len(sheets) > 1:
        read = [s.name for s in sheets if s.read]
        out.write(f"{path.name}: シート{len(sheets)}枚のうち{len(read)}枚を読みます"
                  f"（{'、'.join(f'「{n}」' for n in read)}）。\n")
        for sheet in sheets:
            if not sheet.read:
                out.write(f"  シート「{sheet.name}」は読みません: {sheet.reason}\n")
        if args.sheet is None and any(not s.read for s in sheets):
            code = EXIT_PROBLEM
    for inspection in inspections:
        preview, one = _import_one(signed, inspection, args, out)
        if preview is not None:
            if args.report:  # kept for the report
                previews.append(preview)
            else:
                preview.close()
        code = max(code, one)
    return code


def kind_line(inspection: FileInspection, given: str | None) -> str:
    """The kind, how sure, and the runner-up, in one line (always said: a wrong guess
    once overwrote thousands of records under a one-word label)."""
    guess = inspection.guess
    scores = [s for s in guess.scores if s.score > 0]
    runner_up = (f"。次点は「{scores[1].label}」（見出しの一致 {scores[1].score:.0%}）"
                 if len(scores) > 1 else "。次点なし")
    judged = (f"見出しからの判断は「{scores[0].label}」（見出しの一致 {scores[0].score:.0%}、"
              f"確からしさ {guess.confidence:.0%}）{runner_up}" if scores
              else "見出しからは判断できません")
    kind = inspection.kind
    if given is not None and kind is not None:
        return f"種類: {kind.label}（--kind で指定。{judged}）"
    return f"種類: {judged}"


def _kind_choices(inspection: FileInspection) -> str:
    """The best guesses as --kind options: with one column missing, the right kind is often
    the runner-up (a health-room log without 利用日 can score highest as 在籍)."""
    likely = [s for s in inspection.guess.scores if s.score > 0][:2]
    options = "、".join(f"「{s.label}」なら --kind {s.kind}" for s in likely)
    return (f"データの種類を確かめて --kind を付け、もう一度実行してください（{options}。"
            "すべての種類は import --help）。")


def _import_one(
    signed: SignedIn, inspection: FileInspection, args: argparse.Namespace, out: TextIO
) -> tuple[ImportPreview | None, int]:
    """Preview and (unless --dry-run) commit one file or sheet; with its exit code."""
    from toda_desktop.importing.service import CLEAR_CONFIDENCE

    name = inspection.file_name
    out.write(f"{name}: {kind_line(inspection, args.kind)}\n")
    if inspection.kind is None:
        why = inspection.guess.explanation.split("。")[0]
        out.write(f"  取り込みません: {why}。種類が分かっていれば --kind で指定してください"
                  "（見出しの対応付けは画面の「取込」で保存できます）。\n")
        return None, EXIT_FAILED
    if args.kind is None and inspection.guess.confidence < CLEAR_CONFIDENCE:
        out.write(
            f"  取り込みません: 見出しからの判断の確からしさが{CLEAR_CONFIDENCE:.0%}未満です。"
            f"{_kind_choices(inspection)}\n")
        return None, EXIT_FAILED
    preview = signed.importing.preview(inspection, keep_repeats=args.keep_repeats)
    try:
        return preview, _check_and_commit(signed, preview, args, out)
    except BaseException:
        preview.close()
        raise


def _check_and_commit(
    signed: SignedIn, preview: ImportPreview, args: argparse.Namespace, out: TextIO
) -> int:
    """Say what the preview found and commit it (unless --dry-run); the exit code."""
    from toda_desktop.importing.layouts import layout_notes

    inspection = preview.inspection
    c = preview.counts
    out.write(
        f"  {preview.kind.label}（{inspection.encoding_label}）"
        f" {format_count(c['rows'])}行 — 新規 {format_count(c.get('new', 0))}、"
        f"取込済みと同一 {format_count(c.get('identical', 0))}、"
        f"値の異なる既存 {format_count(c.get('conflicts', 0))}、"
        f"確認待ち {format_count(len(preview.to_review))}"
        + (f"（登録済み {format_count(c['already_waiting'])}）" if c.get("already_waiting") else "")
        + "、"
        f"照合不可 {format_count(c.get('rejected', 0))}、"
        f"エラー行 {format_count(c.get('error_rows', 0))}、"
        f"ファイル内の重複 {format_count(c.get('duplicates_in_file', 0))}\n"
    )
    for note in layout_notes(preview):
        out.write(f"  {note}\n")
    if c.get("totals_rows"):
        out.write(f"  合計・小計などの集計行 {format_count(c['totals_rows'])}行は"
                  "取り込みません。\n")
    if c.get("repeats"):
        out.write(f"  同じ内容の行 {format_count(c['repeats'])}行は取り込みません"
                  "（繰り返しの記録として残すには --keep-repeats）。\n")
    _write_reasons(preview, out)
    if args.overwrite:
        _write_changes(preview, out)
    elif c.get("conflicts", 0):
        out.write(f"  値の異なる既存の記録 {format_count(c['conflicts'])}行はそのままにします"
                  "（--overwrite で上書き。--dry-run と一緒に指定すると、変わる値を"
                  "確かめられます）。\n")
    left_out = sum(c.get(k, 0) for k in ROWS_LEFT_OUT)
    # Rows left for the 名寄せ確認 are something to look at too (exit 1).
    to_look = left_out + len(preview.to_review)
    if preview.blocking:
        out.write("  ファイル全体に関わるエラーがあるため取り込めません。\n")
        return EXIT_FAILED
    if not preview.changes_with(args.overwrite):
        if left_out and not c.get("identical", 0) and not c.get("conflicts", 0):
            out.write("  取り込める行がありません。\n")
            return EXIT_FAILED
        out.write("  取り込む新しい行はありません。\n")
        return EXIT_PROBLEM if to_look else EXIT_OK
    if args.dry_run:
        return EXIT_PROBLEM if to_look else EXIT_OK
    result = signed.importing.commit(preview, overwrite=args.overwrite)
    out.write(
        f"  取込番号 {result.batch_id}: {format_count(result.inserted)}行を追加、"
        f"{format_count(result.overwritten)}行を上書き、"
        f"{format_count(result.queued)}行を確認待ちに登録しました。\n"
    )
    return EXIT_PROBLEM if to_look else EXIT_OK


def _write_reasons(preview: ImportPreview, out: TextIO) -> None:
    """The most frequent reasons with their counts (errors first, then warnings and notes):
    the report in brief, so that a run without --report still says why rows were left out."""
    from toda_desktop.importing.findings import reason_groups
    from toda_desktop.importing.service import SEVERITY_LABELS

    # Per kind of finding and column: how many rows. A finding whose text names its row
    # (「42行目と同じ内容です」) is one kind with its first text shown, not one line per row;
    # a file-level finding (one line per unknown value, with its own count) has no count here.
    # Left out: what the lines above already said (totals rows, repeats, a form's reshaping).
    def shown_above(code: str) -> bool:
        return (code == "totals_row" or code.startswith("layout")
                or (bool(preview.counts.get("repeats")) and code == "duplicate_row"))

    groups = [g for g in reason_groups(preview.findings) if not shown_above(g.code)]
    if not groups:
        return
    rank = {"error": 0, "warning": 1, "note": 2}
    groups.sort(key=lambda g: (rank.get(g.severity, 3), -g.rows))  # stable
    out.write("  主な理由:\n")
    for g in groups[:TOP_REASONS]:
        label = SEVERITY_LABELS.get(g.severity, g.severity)
        where = f"「{g.column}」" if g.column else ""
        rows = f" {format_count(g.rows)}行" if g.rows else ""
        example = "（例）" if g.several and g.rows else ""
        out.write(f"    {label}{rows}{where}: {example}{g.reason}\n")
    if len(groups) > TOP_REASONS:
        out.write(f"    ほかに{len(groups) - TOP_REASONS}種類の理由があります"
                  "（すべては --report で書き出せます）。\n")


def _write_changes(preview: ImportPreview, out: TextIO) -> None:
    """Every value --overwrite replaces (for the importing role's eyes: not logged)."""
    changes = preview.changes
    if not changes:
        return
    out.write(f"  上書きで変わる値 {format_count(len(changes))}件:\n")
    for change in changes:
        out.write(f"    {change.row}行目（{change.record}）{change.column}: "
                  f"「{change.old}」→「{change.new}」\n")


def _import_list(signed: SignedIn, out: TextIO) -> int:
    names = {k.name: k.label for k in signed.registry.kinds}
    status = {"committed": "取込済み", "rolled_back": "取消済み"}
    rows = signed.importing.batches()
    if not rows:
        out.write("取込の記録はありません。\n")
        return EXIT_OK
    out.write("取込番号\t日時\t種類\tファイル\t行数\t状態\t取込者\n")
    for b in rows:
        when = format_datetime(datetime.fromisoformat(b.imported_at))
        out.write(f"{b.id}\t{when}\t{names.get(b.kind, b.kind)}\t{b.source_name}"
                  f"\t{format_count(b.row_count)}\t{status.get(b.status, b.status)}"
                  f"\t{b.imported_by}\n")
    return EXIT_OK


def _import_rollback(signed: SignedIn, batch_id: int, out: TextIO) -> int:
    names = {k.name: k.label for k in signed.registry.kinds}
    result = signed.importing.rollback(batch_id)
    out.write(f"取込番号 {batch_id} を取り消しました。\n")
    for label, counts in (("削除した記録", result.removed),
                          ("後の取込にも含まれているため残した記録", result.kept)):
        if counts:
            detail = "、".join(f"{names.get(k, k)} {format_count(n)}行" for k, n in counts.items())
            out.write(f"  {label}: {detail}\n")
    if result.restored:
        out.write(f"  上書きしていた {format_count(result.restored)}行を元の値に戻しました。\n")
    if not (result.removed or result.kept or result.restored):
        out.write("  この取込で入った記録はありませんでした。\n")
    return EXIT_OK


def cmd_review(args: argparse.Namespace, out: TextIO) -> int:
    """名寄せ確認 from the command line: the same service and policy as the screen, and the
    same fields of the row and its candidates (no more personal data than the screen)."""
    if args.review_command == "decide":
        chosen = [args.pupil is not None, args.address_code is not None, args.reject]
        if args.item is None or sum(chosen) != 1:
            raise UserFacingError("review decide には --item N と、--pupil ID・--address-code"
                                  " 宛名番号・--reject のどれか1つを指定してください。")
    app, signed = _sign_in(args)
    try:
        if args.review_command == "list":
            return _review_list(signed, args, out)
        return _review_decide(signed, args, out)
    finally:
        app.close()


def _review_list(signed: SignedIn, args: argparse.Namespace, out: TextIO) -> int:
    items = signed.review.open_items()
    if not items:
        out.write("確認待ちの行はありません。\n")
        return EXIT_OK
    shown = items if args.limit is None else items[: args.limit]
    out.write(f"確認待ち {format_count(len(items))}件"
              + (f"（先頭の {format_count(len(shown))}件を表示）" if len(shown) < len(items)
                 else "") + "\n")
    for item in shown:
        out.write(f"\n確認項目 {item.id}　{item.kind_label}　{item.source_name} "
                  f"{item.source_row}行目\n  理由: {item.reason}\n")
        person = "、".join(f"{v.label} {v.value}" for v in item.person)
        out.write(f"  ファイルの行: {person or '（児童生徒を示す値なし）'}\n")
        if item.data:
            out.write("  そのほかの値: "
                      + "、".join(f"{v.label} {v.value}" for v in item.data) + "\n")
        if item.siblings:
            out.write(f"  同じ行のほかの記録: {format_count(item.siblings)}件"
                      "（この判断がまとめて適用されます）\n")
        for number, c in enumerate(item.candidates, start=1):
            if c.withheld:  # a former pupil this role may not identify (issue 13)
                out.write(f"  候補{number}: 児童生徒ID {c.pupil_id}　{c.label}"
                          f"　在籍した年度 {'・'.join(map(str, c.years)) or 'なし'}"
                          f"　一致度 {c.score:g}　根拠: {c.evidence}\n")
                continue
            school = (format_placement(c.placement.school_year, c.placement.school_name,
                                       c.placement.grade, c.placement.class_name,
                                       c.placement.seat_number)
                      if c.placement else "在籍の記録なし")
            out.write(f"  候補{number}: 児童生徒ID {c.pupil_id}　{c.name}（{c.name_kana}）"
                      f"　生年月日 {c.birth_date.isoformat() if c.birth_date else ''}"
                      f"　性別 {c.sex}"
                      f"　宛名番号 {c.address_code}　{school}　一致度 {c.score:g}"
                      f"　根拠: {c.evidence}\n")
        if not item.candidates:
            out.write("  候補: なし（--address-code で児童生徒を指定するか、--reject）\n")
    out.write("\n決めるとき: review decide --item N --pupil 児童生徒ID（候補から）"
              "／--address-code 宛名番号（別の児童生徒）／--reject（該当なし）\n")
    return EXIT_OK


def _review_decide(signed: SignedIn, args: argparse.Namespace, out: TextIO) -> int:
    review = signed.review
    item = review.open_item(args.item)
    if item is None:
        raise UserFacingError(f"確認項目 {args.item} は見つからないか、既に処理されています。")
    if args.reject:
        review.decide(item.id, None)
        out.write(f"確認項目 {item.id}（{item.source_name} {item.source_row}行目）を"
                  "「該当する児童生徒なし」としました。\n")
        return EXIT_OK
    if args.pupil is not None:
        pupil_id = int(args.pupil)
        if pupil_id not in {c.pupil_id for c in item.candidates}:
            raise UserFacingError(f"児童生徒ID {pupil_id} はこの項目の候補にありません。"
                                  "候補にない児童生徒は --address-code で指定してください。")
    else:
        found = review.find_pupil(str(args.address_code))
        if found is None:
            raise UserFacingError("その宛名番号の児童生徒は見つかりません。")
        pupil_id = found
    offered = next((c for c in item.candidates if c.pupil_id == pupil_id), None)
    card = offered if offered is not None else review.describe_pupil(pupil_id)
    review.decide(item.id, pupil_id)
    who = ("" if card is None else card.label if card.withheld
           else f"「{card.name}」（宛名番号 {card.address_code}）")
    out.write(f"確認項目 {item.id}（{item.source_name} {item.source_row}行目）を"
              f"{who or f'児童生徒ID {pupil_id}'}の行として取り込みました。\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    target = Path(args.out)
    check_output_path(target, overwrite=args.force)  # store files first: the clearest refusal
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserFacingError("出力ファイルの名前は .csv か .xlsx で終えてください"
                              "（形式を決めます）。")
    if suffix == ".xlsx" and args.cp932:
        raise UserFacingError("--cp932 は CSV の文字コードの指定です。"
                              "Excel（.xlsx）には使えません。")
    app, signed = _sign_in(args)
    try:
        result = signed.records.export_dataset(
            args.dataset, Path(args.out), encoding="cp932" if args.cp932 else "utf-8-sig",
            overwrite=args.force, purpose=purpose_from_args(args),
        )
    finally:
        app.close()
    out.write(f"{format_count(result.rows)}行を出力しました: {result.path}\n")
    if result.replaced_characters:
        out.write(
            f"注意: Shift_JIS で表せない文字 {result.replaced_characters} 個を〓にしました。\n"
        )
    return EXIT_OK


# argparse's own error texts, as the staff read them.
ARGPARSE_MESSAGES = (
    ("the following arguments are required:", "次の指定が必要です:"),
    ("unrecognized arguments:", "分からない指定があります:"),
    ("invalid choice:", "選べない値です:"),
    ("choose from", "選べるのは"),
    ("invalid int value:", "整数ではありません:"),
    ("expected one argument", "値が1つ必要です"),
    ("not allowed with argument", "と一緒には指定できません:"),
    ("argument ", "指定 "),
)


class JapaneseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "使い方: " if prefix is None else prefix)


class JapaneseParser(argparse.ArgumentParser):
    """argparse with its own words in Japanese (使い方, 引数, オプション, ヘルプ, errors);
    subcommand parsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", JapaneseHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="この説明を表示して終了する")

    def error(self, message: str) -> NoReturn:
        for english, japanese in ARGPARSE_MESSAGES:
            message = message.replace(english, japanese)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 指定に誤りがあります: {message}\n")


def _kind_help() -> str:
    """The kinds with their Japanese labels (from the registry, so it never goes stale)."""
    from storage.registry import default_registry

    kinds = "、".join(f"{k.name}（{k.label}）" for k in default_registry().kinds)
    return ("データの種類（省略時は見出しから判断し、確からしさが低ければ取り込みません）。"
            f"指定できるのは: {kinds}")


def build_parser() -> argparse.ArgumentParser:
    parser = JapaneseParser(
        prog="python -m toda_desktop",
        description="戸田市 教育データ デスクトップ（コマンドライン）",
    )
    sub = parser.add_subparsers(dest="command", metavar="コマンド", required=True)

    init = sub.add_parser(
        "init", help="データベースを新しく作成する",
        description=(
            "データベースを新しく作成します。本番用（指定なし）と --test では、最初のアカウント"
            "（事業全体総括職員）を作ります。ログインIDは --user、なければ TODA_USER、どちらも"
            "なければ lead です。パスワードは TODA_PASSWORD、なければ画面で2回入力します"
            f"（{MIN_LENGTH}文字以上。よく使われるものやログインIDと同じものは使えません）。"
            "手のひら静脈は"
            "このアカウントの最初のサインインで登録します。回復キーは作成時に一度だけ表示します。"
            "--demo では架空の都市とデモ用アカウントを作り、ログインIDとパスワードを表示します。"),
    )
    init.add_argument("--store", required=True, help="作成するデータベースファイル")
    kind = init.add_mutually_exclusive_group()
    kind.add_argument("--demo", action="store_true", help="デモ都市（架空データ）で作成する")
    kind.add_argument("--test", action="store_true",
                      help="研修・評価用の空のデータベース（本番用と同じく実際のスキャナが必要）")
    init.add_argument("--seed", type=int, default=42, help="デモ都市の乱数の種")
    init.add_argument("--small", action="store_true", help="小さなデモ都市（動作確認用）")
    init.add_argument("--user", help="最初のアカウントのログインID（本番・テスト）")
    init.set_defaults(handler=cmd_init)

    demo = sub.add_parser("demo", help="デモ都市の取込用ファイルを書き出す")
    demo.add_argument("--out", required=True, help="書き出し先フォルダ")
    demo.add_argument("--seed", type=int, default=42, help="デモ都市の乱数の種")
    demo.add_argument("--messy", action="store_true", help="実際のファイルのような揺れを加える")
    demo.add_argument("--small", action="store_true", help="小さなデモ都市")
    demo.set_defaults(handler=cmd_demo)

    dictionary = sub.add_parser("dictionary", help="データ辞書（Markdown）を生成する")
    dictionary.add_argument("--out", help="書き出し先（省略時は画面に表示）")
    dictionary.set_defaults(handler=cmd_dictionary)
    from toda_desktop.cli_register import add_register_command  # 個人情報ファイル簿 (issue 13)

    add_register_command(sub)

    audit_cmd = sub.add_parser("audit", help="監査ログ（検証・一覧・出力）")
    audit_cmd.add_argument("audit_command", choices=["verify", "list", "anchor"],
                           help="verify、list または anchor（外部の控えの場所）")
    audit_cmd.add_argument("--store", required=True, help="データベースファイル")
    audit_cmd.add_argument("--user", help="ログインID（TODA_USER でも可）")
    audit_cmd.add_argument("--actor", help="利用者で絞り込む")
    audit_cmd.add_argument("--action", help="操作で絞り込む（例: sign_in）")
    audit_cmd.add_argument("--pupil", type=int, help="児童生徒IDで絞り込む")
    audit_cmd.add_argument("--csv", help="CSV（UTF-8 BOM付き）に出力する")
    audit_cmd.add_argument("--searched", metavar="WORDS",
                           help="list: この言葉（氏名・カナ・ID）で検索した記録だけを一覧する")
    audit_cmd.add_argument("--force", action="store_true", help=FORCE_HELP)
    audit_cmd.add_argument("--dir", help="anchor: 外部の控えを置くフォルダー（管理者）")
    audit_cmd.add_argument("--anchor-dir",
                           help="verify: 照合する外部の控えのフォルダー（設定とは別に指定）")
    audit_cmd.set_defaults(handler=cmd_audit)

    rec = sub.add_parser(
        "recovery", help="スキャナ故障時の回復サインインを許可する（回復キーが必要）"
    )
    rec.add_argument("recovery_command", choices=["grant"], metavar="grant",
                     help="回復サインインを許可する")
    rec.add_argument("--store", required=True, help="データベースファイル")
    rec.add_argument("--account", required=True, help="許可するアカウントのログインID")
    rec.add_argument("--reason", required=True, help="理由（監査ログに記録されます）")
    rec.add_argument("--hours", type=float, default=24, help="有効時間（既定24時間）")
    rec.set_defaults(handler=cmd_recovery)

    scanners = sub.add_parser(
        "scanners", help="使用できる静脈認証スキャナを登録し直す（回復キーが必要）",
        description=(
            "いまこのPCに導入されている静脈認証スキャナのドライバを、このデータベースで使用できる"
            "ものとして登録し直します（スキャナを交換したときなど）。回復キーは"
            " TODA_RECOVERY_KEY、なければ画面で入力します。監査ログに記録されます。"),
    )
    scanners.add_argument("scanners_command", choices=["accept"], metavar="accept",
                          help="導入済みのスキャナを登録する")
    scanners.add_argument("--store", required=True, help="データベースファイル")
    scanners.set_defaults(handler=cmd_scanners)

    imp = sub.add_parser(
        "import", help="CSV・Excel ファイルを取り込む（list: 取込履歴、rollback: 取消）",
        description=(
            "ファイルを取り込みます。import list で取込の一覧を、import rollback --batch N で"
            "取込番号 N の取消（上書きした値も元に戻します）を行います。"
            "終了コード: 0 完了、1 完了（取り込まなかった行・シートあり）、2 取り込めなかった"
            "ファイルあり。"),
    )
    imp.add_argument("--store", required=True, help="データベースファイル")
    imp.add_argument("--user", help="ログインID（TODA_USER でも可）")
    imp.add_argument("--kind", metavar="K", help=_kind_help())
    imp.add_argument("--sheet", metavar="NAME",
                     help="Excel のこのシートだけを読む（省略時は見出しの合うシートをすべて読む）")
    imp.add_argument("--overwrite", action="store_true",
                     help="値の異なる既存の記録を上書きする（空欄で既存の値を消すことはありません。"
                          "変わる値をすべて表示します）")
    imp.add_argument("--dry-run", action="store_true", help="検証だけ行い、取り込まない")
    imp.add_argument("--keep-repeats", action="store_true",
                     help="すべての列が同じ行も、繰り返しの記録（同じ日の保健室利用など）として残す")
    imp.add_argument("--report", help="検証結果（行・列・理由）をCSVに書き出す")
    imp.add_argument("--force", action="store_true", help=FORCE_HELP)
    imp.add_argument("--batch", type=int, metavar="N", help="import rollback で取り消す取込番号")
    add_purpose_arguments(imp)  # for --report
    imp.add_argument("files", nargs="+", metavar="FILE",
                     help="取り込むファイル（または list、rollback）")
    imp.set_defaults(handler=cmd_import)

    rev = sub.add_parser(
        "review", help="名寄せ確認（確認待ちの行の一覧・判断）",
        description=("名寄せ確認の確認待ちの行を一覧し（list）、どの児童生徒の行かを決めます"
                     "（decide）。決めた判断は記憶され、監査ログに記録されます。"),
    )
    rev.add_argument("review_command", choices=["list", "decide"], metavar="list|decide",
                     help="list: 一覧、decide: 判断する")
    rev.add_argument("--store", required=True, help="データベースファイル")
    rev.add_argument("--user", help="ログインID（TODA_USER でも可）")
    rev.add_argument("--limit", type=int, metavar="N", help="list: 先頭の N 件だけ表示する")
    rev.add_argument("--item", type=int, metavar="N", help="decide: 確認項目の番号")
    rev.add_argument("--pupil", type=int, metavar="ID", help="decide: 候補の児童生徒ID")
    rev.add_argument("--address-code", metavar="CODE",
                     help="decide: 候補にない児童生徒を宛名番号で指定する")
    rev.add_argument("--reject", action="store_true", help="decide: 該当する児童生徒なし")
    rev.set_defaults(handler=cmd_review)

    exp = sub.add_parser("export", help="データの種類ごとに出力する（宛名番号付き）")
    exp.add_argument("--store", required=True, help="データベースファイル")
    exp.add_argument("--user", help="ログインID（TODA_USER でも可）")
    exp.add_argument("--dataset", required=True, help="データの種類（例: attendance_monthly）")
    exp.add_argument("--out", required=True, help="出力ファイル（.csv または .xlsx）")
    exp.add_argument("--cp932", action="store_true", help="Shift_JIS（CP932）で出力する")
    exp.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_purpose_arguments(exp)
    exp.set_defaults(handler=cmd_export)
    add_export_approval_commands(sub)
    add_print_commands(sub)  # print-register (issue 14)

    add_risk_commands(sub)
    add_research_commands(sub)
    add_backup_commands(sub)
    add_key_commands(sub)
    add_retention_commands(sub)
    add_cases_commands(sub)  # issue 14: support cases
    add_school_karte_commands(sub)  # 学校カルテ (issue 15)

    for name, handler, text in (
        ("info", cmd_info, "データベースの概要を表示する"),
        ("check", cmd_check, "整合性を検査する"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--store", required=True, help="データベースファイル")
        command.add_argument("--user", help="ログインID（TODA_USER でも可）")
        command.set_defaults(handler=handler)
    return parser


def os_error_message(exc: OSError) -> str:
    """A file-system failure in words (the file's name only, never its content)."""
    name = f"「{Path(str(exc.filename)).name}」" if exc.filename else "ファイル"
    if exc.errno == errno.ENOSPC:
        return "ディスクの空き容量が不足しています。空きを作ってからもう一度お試しください。"
    if isinstance(exc, FileNotFoundError):
        return f"{name}が見つかりません。場所を確認してください。"
    if isinstance(exc, PermissionError):
        return f"{name}を読み書きする権限がありません。場所と権限を確認してください。"
    if isinstance(exc, IsADirectoryError):
        return f"{name}はフォルダです。ファイルを指定してください。"
    if isinstance(exc, NotADirectoryError):
        return f"{name}の途中にフォルダでないものがあります。場所を確認してください。"
    return f"{name}を読み書きできませんでした。場所を確認してください。"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Every failure ends in one Japanese line on stderr and a non-zero exit code; no
    traceback (whose text could carry values) reaches the terminal unless TODA_DEBUG=1."""
    stream = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args, stream))
    except ExistingFile as exc:
        sys.stderr.write(f"エラー: 「{exc.path.name}」は既にあります。上書きはしていません。"
                         "上書きする場合は --force を付けてください。\n")
        return EXIT_FAILED
    except (UserFacingError, StoreError) as exc:
        sys.stderr.write(f"エラー: {exc.message_ja}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("中止しました。\n")
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:
        sys.stderr.write(f"エラー: {os_error_message(exc)}\n")
        return EXIT_FAILED
    except DatabaseError as exc:
        sys.stderr.write(f"エラー: {translate(exc).message_ja}\n")
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        sys.stderr.write(
            f"エラー: 予期しない問題が起きました（{type(exc).__name__}）。"
            "繰り返す場合は、この表示を添えて担当者に連絡してください。\n")
        return EXIT_FAILED
