"""The research extract's files: each table as Parquet and CSV, and a data dictionary.

Parquet is built in memory (pyarrow writes into a buffer, never a temp file) and, like the
CSV, written through ``export_files`` (a staging name created exclusively in the chosen
folder, renamed when complete, owner-only). The file names carry the project and the time
only: nothing about a pupil.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.research.anonymity import LADDER, MAX_WITHHELD
from analysis.research.cells import THRESHOLD
from toda_desktop.export_files import (
    check_output_path,
    safe_filename,
    write_binary_file,
    write_csv,
    write_text_file,
)
from toda_desktop.research.build import PUPILS_TABLE, BuiltExtract
from toda_desktop.research.catalogue import Variable

QUASI_LABELS = {
    "school": ("学校（一般化の段階により学校コードまたは校種）", "文字列"),
    "grade": ("学年（一般化の段階により学年または学年帯）", "文字列"),
    "sex": ("性別（削除の段階では空）", "文字列"),
    "birth": ("生年月・生まれ年（削除の段階では空）", "文字列"),
}
AGGREGATE_COLUMNS = (
    ("school_year", "年度", "整数"), ("school", "学校コード（合計行は「合計」）", "文字列"),
    ("grade", "学年（合計列は「合計」）", "文字列"),
    ("pupils", "児童生徒数（秘匿したセルは空）", "整数"), ("suppressed", "秘匿したセル", "真偽"),
)


@dataclass(frozen=True)
class ExtractInfo:
    """What the dictionary says about the extract besides its tables."""

    project: str
    purpose: str
    approver: str
    made_by: str
    made_at: datetime
    years: tuple[int, ...]
    variables: tuple[Variable, ...]


def stem(project: str, made_at: datetime) -> str:
    return f"{safe_filename(project, 'research')}_{made_at:%Y%m%d-%H%M%S}"


def table_frames(built: BuiltExtract) -> dict[str, pd.DataFrame]:
    """Every table of the extract by its name in the files."""
    frames = {PUPILS_TABLE: built.pupils, **built.kinds}
    frames.update({a.name: a.frame for a in built.aggregates})
    return frames


def planned_paths(folder: Path, built: BuiltExtract, info: ExtractInfo) -> list[Path]:
    base = stem(info.project, info.made_at)
    paths = [folder / f"{base}_{name}.{ext}" for name in table_frames(built)
             for ext in ("parquet", "csv")]
    return [*paths, folder / f"{base}_dictionary.md"]


def check_paths(paths: list[Path]) -> None:
    """Refuse before anything is written (an existing name, a missing folder)."""
    for path in paths:
        check_output_path(path)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def _csv_rows(frame: pd.DataFrame) -> list[list[object]]:
    return [["" if pd.isna(v) else v for v in row]
            for row in frame.astype("object").itertuples(index=False, name=None)]


def dictionary_text(built: BuiltExtract, info: ExtractInfo, base: str) -> str:
    a = built.anonymity
    lines = [
        f"# 研究用データ データ辞書（{info.project}）", "",
        f"- 研究プロジェクト: {info.project}",
        f"- 利用目的: {info.purpose}",
        f"- 承認者: {info.approver}",
        f"- 作成者: {info.made_by}",
        f"- 作成日時: {info.made_at:%Y-%m-%d %H:%M:%S}",
        f"- 対象年度: {'、'.join(str(y) for y in info.years)}",
        "- 法的な位置づけ: 仮名加工情報です。氏名・生年月日・宛名番号等は含みませんが、個人情報"
        "として扱い、目的外の利用・第三者への提供・他の情報との照合による本人の識別はできません。",
        "",
        "## 仮名ID", "",
        "pseudonym（仮名ID）は、この研究プロジェクト専用の鍵による HMAC-SHA256 です。"
        "同じプロジェクトの抽出どうしでは同じ児童生徒が同じ仮名IDになり、別のプロジェクトの抽出とは結合できません。",
        "",
        "## k-匿名性（k = " + str(a.k) + "）", "",
        "児童生徒表（pupils）の 年度・学校・学年・性別・生年月 の組み合わせごとに、" + str(a.k)
        + "人以上になるよう次の段階を順に適用し、除外する行が全体の"
        + f"{MAX_WITHHELD:.0%}以下になった最初の段階を採用しました。",
        "",
        *(f"{'**' if s is a.step else ''}{s.number}. {s.label}"
          f"{'（採用）**' if s is a.step else ''}" for s in LADDER),
        "",
        f"- 採用した段階: {a.step.number}（{a.step.label}）",
        f"- 対象の児童生徒・年度: {built.population}件",
        f"- k 未満のため除外した行: {a.withheld}件（その児童生徒・年度の記録も各表から除外）",
        f"- 公表した組み合わせ: {a.classes}（最小 {a.smallest}人）",
        "",
        "## 集計表のセル秘匿", "",
        f"1〜{THRESHOLD - 1}人のセル（合計を含む）を秘匿し（一次秘匿）、行・列の合計から"
        "逆算できないよう補完秘匿を加えました。0 は公表します。集計表は公表用です。個票"
        "（pupils と各データの表）は公表せず、利用目的の範囲で分析してください（個票からは"
        "小さな人数も数えられます）。",
        "",
        "| 表 | 内容 | 一次秘匿 | 補完秘匿 |", "| --- | --- | --- | --- |",
        *(f"| {base}_{g.name} | {g.title} | {g.primary} | {g.complementary} |"
          for g in built.aggregates),
        "",
        "## 表と列", "",
        f"### {base}_{PUPILS_TABLE}（児童生徒・年度）", "",
        "| 列 | ラベル | 型 | 一般化 |", "| --- | --- | --- | --- |",
        "| pseudonym | 仮名ID | 文字列 | |",
        "| school_year | 年度 | 整数 | |",
        *(f"| {c} | {label} | {t} | 段階{a.step.number}（{a.step.label}） |"
          for c, (label, t) in QUASI_LABELS.items()),
        "",
    ]
    for kind in built.kinds:
        chosen = [v for v in info.variables if v.kind == kind]
        lines += [f"### {base}_{kind}（{chosen[0].kind_label}）", "",
                  "| 列 | ラベル | 型 | 備考 |", "| --- | --- | --- | --- |",
                  "| pseudonym | 仮名ID | 文字列 | |", "| school_year | 年度 | 整数 | |",
                  *(f"| {v.column} | {v.label} | {v.type_label} | {v.note} |" for v in chosen),
                  ""]
    for g in built.aggregates:
        lines += [f"### {base}_{g.name}（{g.title}）", "",
                  "| 列 | ラベル | 型 |", "| --- | --- | --- |",
                  *(f"| {c} | {label} | {t} |" for c, label, t in AGGREGATE_COLUMNS), ""]
    lines += ["各表は Parquet（.parquet）と CSV（.csv、UTF-8 BOM付き）の両方で出力しています。"
              "Parquet は DuckDB や Spark でそのまま読めます（表どうしは pseudonym と "
              "school_year で結び付きます）。", ""]
    return "\n".join(lines)


def write_all(folder: Path, built: BuiltExtract, info: ExtractInfo) -> list[Path]:
    """Every file of the extract; the paths written, in order."""
    base = stem(info.project, info.made_at)
    written = []
    for name, frame in table_frames(built).items():
        written.append(write_binary_file(folder / f"{base}_{name}.parquet",
                                         parquet_bytes(frame)))
        written.append(write_csv(folder / f"{base}_{name}.csv", list(frame.columns),
                                 _csv_rows(frame)).path)
    written.append(write_text_file(folder / f"{base}_dictionary.md",
                                   dictionary_text(built, info, base)))
    return written
