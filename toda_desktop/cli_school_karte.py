"""The ``school-karte`` commands of the command line (issue 15)::

    python -m toda_desktop school-karte show --store PATH [--user ID] --school CODE [--year Y]
    python -m toda_desktop school-karte city --store PATH [--user ID] [--year Y]

``show`` prints one school's karte (basic information, survey domains of the school and its
grades with n, 95% interval, city value, difference and the colour rule in words, growth,
push-support counts); ``city`` prints every school's whole-school cells and growth, in
school-code order. Aggregates only, under the ``school_karte`` function; both are
audit-logged by the service. Exit status: 0 success, 2 failure.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from toda_desktop.cli_progress import percent_lines
from toda_desktop.errors import UserFacingError
from toda_desktop.school_karte.models import TONE_LABELS, SurveyResult, ValueAdded
from toda_desktop.school_karte.sheet import (
    MEASURE_LABELS,
    SUPPRESSED,
    cell_text,
    difference_text,
)

EXIT_OK = 0


def _cell_line(r: SurveyResult, names: dict[str, str]) -> str:
    where = "学校全体" if r.grade is None else f"{r.grade}年"
    if r.class_name is not None:
        where += f"{r.class_name}組"
    c = r.current
    tone = SUPPRESSED if c.suppressed else TONE_LABELS[c.tone]
    city = "—" if c.city is None else f"{c.city:.1f}%"
    return (f"  {names.get(r.survey_code, r.survey_code)} 第{r.round}回\t{where}\t{r.domain}\t"
            f"{cell_text(c)}\t市 {city}\t差 {difference_text(c)}\t{tone}\t"
            f"前年度同学年 {cell_text(r.same_grade_last_year)}\t"
            f"同じ児童生徒の前年度 {cell_text(r.same_pupils_last_year)}\n")


def _growth_lines(va: ValueAdded | None, names: dict[str, str], out: TextIO,
                  only: str | None = None) -> None:
    if va is None or not va.effects:
        return
    out.write("成長（付加価値、学校コード順。区間が0をまたぐ学校は市との差が不確か）:\n")
    for e in va.effects:
        if only is not None and e.school_code != only:
            continue
        out.write(f"  {e.school_code} {names.get(e.school_code, '')}\t{e.effect:+.2f}レベル"
                  f"（95%区間 {e.interval.low:+.2f}〜{e.interval.high:+.2f}、n={e.n}）\t"
                  f"伸ばした割合 {e.grew_share:.1f}%\n")


def cmd_school_karte(args: argparse.Namespace, out: TextIO) -> int:
    from toda_desktop.cli import _sign_in

    app, signed = _sign_in(args)
    try:
        service = signed.school_karte
        schools = {s.code: s.name for s in service.schools()}
        progress = percent_lines(out, "集計しています")
        if args.school_karte_command == "show":
            if not args.school:
                raise UserFacingError("学校コードを --school で指定してください。")
            karte = service.school_karte(args.school, args.year, progress=progress)
            out.write(f"学校カルテ {karte.school.name}（{karte.school.code}）"
                      f" {karte.school_year}年度\n{karte.caption}\n")
            for b in karte.basic_info:
                out.write(f"  {b.school_year}年度: 児童生徒 {b.pupils}人、{b.classes}学級、"
                          f"教職員 {b.staff}人、就学援助率 {b.welfare_rate}%、特別支援率 "
                          f"{b.special_needs_rate}%、日本語指導率 {b.japanese_support_rate}%\n")
            names = {s.code: s.name for s in karte.surveys}
            for r in karte.results:
                if r.item_code is None and (args.classes or r.class_name is None):
                    out.write(_cell_line(r, names))
            _growth_lines(karte.growth, schools, out, only=karte.school.code)
            for c in karte.support:
                if c.class_name is None and c.grade is None:
                    month = c.month or "—"
                    count = SUPPRESSED if c.count is None else str(c.count)
                    out.write(f"  {MEASURE_LABELS[c.measure]}\t{month}\t{c.status or '—'}\t"
                              f"{count}\n")
            notes = karte.notes
        else:
            city = service.city_view(args.year, progress=progress)
            out.write(f"学校カルテ（市全体） {city.school_year}年度\n{city.caption}\n")
            names = {s.code: s.name for s in city.surveys}
            for r in city.results:
                if r.item_code is None and r.grade is None:
                    line = _cell_line(r, names).lstrip(" ")
                    out.write(f"  {r.school_code} {schools.get(r.school_code, '')}\t{line}")
            _growth_lines(city.growth, schools, out)
            notes = city.notes
        for note in notes:
            out.write(f"注: {note}\n")
    finally:
        app.close()
    return EXIT_OK


def add_school_karte_commands(sub: Any) -> None:
    """Add ``school-karte show|city`` to the command line's subparsers."""
    command = sub.add_parser(
        "school-karte", help="学校カルテ（学校ごとの調査結果・成長・基礎情報の集計）",
        description="学校カルテを表示します。児童生徒の名前は含みません（集計のみ）。"
                    "学校は常に学校コード順で、順位づけはしません。")
    command.add_argument("school_karte_command", choices=["show", "city"], metavar="show|city",
                         help="show: 1校の学校カルテ、city: 市全体")
    command.add_argument("--store", required=True, help="データベースファイル")
    command.add_argument("--user", help="ログインID（TODA_USER でも可）")
    command.add_argument("--school", help="show: 学校コード")
    command.add_argument("--year", type=int, help="年度（省略時は最新）")
    command.add_argument("--classes", action="store_true", help="show: 学級ごとの値も表示する")
    command.set_defaults(handler=cmd_school_karte)


__all__ = ["add_school_karte_commands", "cmd_school_karte"]
