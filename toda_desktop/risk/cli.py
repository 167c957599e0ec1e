"""The ``risk`` commands of the command line (issue 6)::

    python -m toda_desktop risk train    --store PATH [--user ID] [--quick] [--card FILE] [--force]
    python -m toda_desktop risk evaluate --store PATH [--user ID] [--json]
    python -m toda_desktop risk score    --store PATH --month YYYY-MM [--top 5] [--out FILE]
                                         [--per-school DIR] [--cp932] [--force]

``train`` runs the candidate grid, selects, evaluates on the held-out last school year and
stores the model; ``evaluate`` prints the metrics table of the stored model against the
baselines with intervals (``--json``: the whole report); ``score`` makes the lists for use
during a month from data up to the end of the month before; ``--out`` writes them as one
file and ``--per-school`` as one file per school into a folder (for each 校長), both in the
window's format (``toda_desktop.risk.alert_csv``: caution lines, 対象月, 学校コード, 学校名,
確認の順（校内）, 宛名番号 only for alert roles with export, 目安（帯）, 主な理由).

Sign-in is the command line's own (``toda_desktop.cli._sign_in``: --user or TODA_USER,
TODA_PASSWORD or a prompt). Exit status as for every command: 0 success, 2 failure.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.cli_export_purpose import add_purpose_arguments, purpose_from_args
from toda_desktop.cli_progress import percent_lines
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import FORCE_HELP, check_output_path, write_text_file
from toda_desktop.formatting import format_month
from toda_desktop.risk.months import listable_text

if TYPE_CHECKING:
    from analysis.risk.report import Evaluation, Interval
    from toda_desktop.risk.service import RiskService

MODEL = "model"  # (analysis.risk.report.MODEL; importing it would load scikit-learn)

EXIT_OK = 0


def _pct(entry: Interval | None) -> str:
    if entry is None or entry.value is None:
        return "—"
    if entry.lo is None or entry.hi is None:
        return f"{entry.value * 100:.1f}%"
    return f"{entry.value * 100:.1f}% [{entry.lo * 100:.1f}–{entry.hi * 100:.1f}]"


def _num(entry: Interval | None, digits: int = 3) -> str:
    if entry is None or entry.value is None:
        return "—"
    if entry.lo is None or entry.hi is None:
        return f"{entry.value:.{digits}f}"
    return f"{entry.value:.{digits}f} [{entry.lo:.{digits}f}–{entry.hi:.{digits}f}]"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}"


def _suffix(file_format: str) -> str:
    return ".xlsx" if file_format == "xlsx" else ".csv"


def _month_ja(month: SchoolMonth) -> str:
    """April 2026 → 令和8年4月（2026年4月）."""
    return f"{format_month(month, DateStyle.WAREKI)}（{format_month(month)}）"


def list_month(text: str, service: RiskService) -> SchoolMonth:
    """``--month`` read once, here: text that is not a calendar month ``YYYY-MM`` is refused
    with the months a list can be made for (a month outside them is the service's to refuse,
    in the same words)."""
    try:
        return SchoolMonth.parse(text)
    except ValueError:
        months = service.list_months()
        example = str(months[-1]) if months else "2025-10"
        raise UserFacingError(
            f"--month の「{text}」は月として読めません。YYYY-MM の形（例: {example}）で"
            f"指定してください。作れる月: {listable_text(months)}") from None


def write_metrics_table(report: Evaluation, out: TextIO) -> None:
    """The held-out metrics of the model and the baselines, with 95% intervals."""
    from analysis.risk.bands import EVENT_DEFINITION  # (the package loads scikit-learn)

    out.write(EVENT_DEFINITION + "\n")
    out.write(f"評価年度: {report.test_year}年度（学習に使っていない年度）"
              f"  月数 {len(report.months)}  学校 {report.schools}  "
              f"新たな不登校 延べ{report.events}人\n")
    out.write("方法\t再現率（各校3人）\t再現率（各校5人）\t再現率（各校10人）\t適合率（各校5人）"
              "\tROC-AUC\tPR-AUC\tBrier\n")
    for name, rep in report.scorings.items():
        label = "モデル: " + rep.label if name == MODEL else rep.label
        out.write(f"{label}\t{_pct(rep.recall[3])}\t{_pct(rep.recall[5])}\t"
                  f"{_pct(rep.recall[10])}\t{_pct(rep.precision[5])}\t{_num(rep.auc)}\t"
                  f"{_num(rep.pr_auc)}\t{_num(rep.brier, 5)}\n")
    bar = report.bar
    if bar is not None:
        target = (bar.target if bar.target is not None else 0.6) * 100
        recall = "—" if bar.recall5 is None else f"{bar.recall5 * 100:.1f}%"
        out.write(f"目標: 各校5人の一覧の再現率 {recall}（{target:.0f}%以上: "
                  f"{'達成' if bar.at_least_target else '未達'}）\n")
        for rows, title, ok in (
            (bar.reason_blind, "理由を区別しない基準との差（区間が0より上なら上回る）",
             "すべて上回る" if bar.beats_reason_blind else "すべてを確かに上回るとは言えない"),
            (bar.reason_aware, "病気・出席停止を除く基準との差（モデルはこれ以上が条件）",
             "いずれ以上" if bar.not_worse_than_reason_aware else "下回るものがある"),
        ):
            out.write(f"{title}: {ok}\n")
            for r in rows:
                recall = "—" if r.recall5 is None else f"{r.recall5 * 100:.1f}%"
                out.write(f"  {r.label}\t{recall}\t差 {_points(r.difference)}ポイント "
                          f"[{_points(r.lo)}–{_points(r.hi)}]\n")
    model = report.model
    if model is not None and model.lead_time.mean is not None:
        out.write(f"先行期間: 平均 {model.lead_time.mean:.1f}か月  一覧の安定性: "
                  f"{(model.stability or 0) * 100:.0f}%\n")
    for horizon in report.horizon3.values():
        auc = "—" if horizon.auc is None else f"{horizon.auc:.3f}"
        out.write(f"3か月以内: {horizon.label}  各校5人の一覧の再現率 {_pct(horizon.recall5)}"
                  f"  ROC-AUC {auc}\n")


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    if args.card:
        check_output_path(Path(args.card), overwrite=args.force)  # before the training
    app, signed = _sign_in(args)
    try:
        service = signed.risk
        result = service.train(quick=args.quick, progress=percent_lines(out, "学習しています"))
    finally:
        app.close()
    out.write(f"モデルを保存しました（番号 {result.model_id}）: {result.config_label}\n")
    out.write(f"候補 {result.grid_size}通り、検証 {result.grid_seconds:.0f}秒、"
              f"全体 {result.seconds:.0f}秒\n")
    write_metrics_table(result.evaluation, out)
    if args.card:
        write_text_file(Path(args.card), result.card, overwrite=args.force)
        out.write(f"モデルカードを書き出しました: {args.card}\n")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    app, signed = _sign_in(args)
    try:
        service = signed.risk
        progress = None if args.json else percent_lines(out, "評価しています")
        report = service.evaluate(progress=progress)
    finally:
        app.close()
    if args.json:  # the report as stored, and which model and data it is about
        whole = {**report.evaluation.to_json(), "model_id": report.model_id,
                 "data_version": report.data_version,
                 "trained_on_data_version": report.trained_on_data_version}
        out.write(json.dumps(whole, ensure_ascii=False, indent=1) + "\n")
    else:
        write_metrics_table(report.evaluation, out)
    return EXIT_OK


def cmd_score(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    if args.out:
        check_output_path(Path(args.out), overwrite=args.force)  # before the scoring
    if args.per_school and not Path(args.per_school).is_dir():
        raise UserFacingError("--per-school には、今あるフォルダを指定してください。")
    encoding = "cp932" if args.cp932 else "utf-8-sig"
    app, signed = _sign_in(args)
    try:
        service = signed.risk
        result = service.score(list_month(args.month, service), top=args.top)
        purpose = purpose_from_args(args)
        if args.out or args.per_school:
            if args.out:
                written = service.export_alerts(result, Path(args.out), encoding=encoding,
                                                overwrite=args.force, purpose=purpose)
                out.write(f"{_month_ja(result.month)}の一覧 {written.rows}人分を出力しました: "
                          f"{written.path}\n")
            if args.per_school:
                files = service.export_alerts_per_school(
                    result, Path(args.per_school), encoding=encoding,
                    suffix=_suffix(args.per_school_format), overwrite=args.force,
                    purpose=purpose)
                out.write(f"{_month_ja(result.month)}の一覧を学校ごとに{len(files)}個のファイルに"
                          f"出力しました: {Path(args.per_school)}\n")
                for file in files:
                    out.write(f"  {file.path.name}（{file.rows}人）\n")
            return EXIT_OK
        shown = service.alerts_for_terminal(result, purpose)
    finally:
        app.close()
    out.write(f"{_month_ja(result.month)}の一覧（各校{args.top}人まで、学校の中の確認の順。"
              f"モデル {result.model_id}）\n")
    if not result.with_ids:
        out.write("児童生徒と理由は見守りアラートの権限がある役割にだけ表示します。\n")
    elif not any(a.address_code for a in shown) and purpose is None and any(
            a.address_code for a in result.alerts):
        out.write("宛名番号は、--purpose で目的を指定したときだけ表示します（表示は出力として"
                  "監査ログに記録します）。\n")
    elif not any(a.address_code for a in shown):
        out.write("宛名番号は出力の権限がある役割にだけ表示します（一覧は画面の見守りアラートで"
                  "ご覧ください）。\n")
    current = None
    for a in shown:
        if a.school_code != current:
            current = a.school_code
            out.write(f"\n{a.school_name}（{a.school_code}）\n")
        who = a.address_code or "—"
        out.write(f"  {a.rank}\t{who}\t{a.band}\t{' / '.join(a.reasons)}\n")
    return EXIT_OK


def add_risk_commands(subparsers: Any) -> None:
    """Add ``risk train | evaluate | score`` to the main parser's subcommands."""
    risk = subparsers.add_parser("risk", help="不登校の早期把握モデル（学習・評価・一覧）")
    sub = risk.add_subparsers(dest="risk_command", metavar="コマンド", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", required=True, help="データベースファイル")
        p.add_argument("--user", help="ログインID（TODA_USER でも可）")

    train = sub.add_parser("train", help="候補モデルを比べて選び、評価して保存する")
    common(train)
    train.add_argument("--quick", action="store_true",
                       help="少数の候補だけで学習する（試行用）")
    train.add_argument("--card", help="モデルカード（Markdown）の書き出し先")
    train.add_argument("--force", action="store_true", help=FORCE_HELP)
    train.set_defaults(handler=cmd_train)

    evaluate = sub.add_parser("evaluate", help="保存したモデルを基準と比べて評価する")
    common(evaluate)
    evaluate.add_argument("--json", action="store_true", help="JSONで出力する")
    evaluate.set_defaults(handler=cmd_evaluate)

    score = sub.add_parser("score", help="ある月の学校ごとの一覧（アラート）を作る")
    common(score)
    score.add_argument("--month", required=True, help="一覧を使う月（YYYY-MM）")
    score.add_argument("--top", type=int, default=5, help="学校ごとの人数（既定5）")
    score.add_argument("--out", help="CSVの出力先（出力の権限が必要。.xlsx ならExcel形式）")
    score.add_argument("--per-school", metavar="DIR",
                       help="学校ごとに1ファイルずつ書き出すフォルダ（校長へ渡す用。出力の権限が必要）")
    score.add_argument("--per-school-format", choices=("csv", "xlsx"), default="csv",
                       help="--per-school のファイル形式（既定 csv）")
    score.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_purpose_arguments(score)
    score.add_argument("--cp932", action="store_true",
                       help="CSVをShift_JIS（CP932）で書く（既定はUTF-8・BOM付き）")
    score.set_defaults(handler=cmd_score)
