"""The file format of the 見守りアラート lists, in one place for the window and the command line.

A list leaves the office as a file, so the file carries its own safeguards: caution lines
above the table (what the list is and is not, who must not see it, the city's rules), the
month it is for and the data it came from, Japanese headers, school names, the order of
checking only within each school (never a rank across schools; it restarts at 1 in every
school), the April caveat where it applies, and 宛名番号 only when the service allows it. The
same rows can be written as one file per school for a 校長, named without personal data.

CSV (UTF-8 with BOM or CP932) or .xlsx, chosen by the file's suffix; writing itself (formula
neutralization, a new file only, owner-only permissions) is ``toda_desktop.export_files``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.formatting import format_datetime, format_month

CAUTION = (
    "※この一覧は、教職員が子どもの様子を確かめ、声をかけるきっかけにするための目安です。"
    "子どもに付けるラベルや、子どもについての予測ではありません。"
    "児童生徒や保護者には見せないでください。"
    "保管・持ち出し・廃棄は、市の個人情報の取扱いの決まりに従ってください。"
)
ORDER_NOTE = (
    "※確認の順は、学校の中で先に様子を確かめる目安の順です。"
    "学校ごとに1から数え、学校どうしを比べるものではありません。"
)
# Excel opening a CSV reads 03102 as the number 3102: a 宛名番号 that lost its zero matches
# no one in another system.
LEADING_ZEROS_NOTE = (
    "※{codes}は先頭の0も含めた文字です。Excelで開くと先頭の0が消えることがあるため、"
    "照合に使うときはExcel形式（.xlsx）で出力するか、列を文字列として取り込んでください。"
)
NO_PUPILS_NOTE = (
    "※児童生徒を特定できる情報と理由は、見守りアラートの権限がある役割の出力にだけ含めます。"
)
# The April caveat, in two parts placed beside what each explains: the bands, and the
# grade and class of a list made before the new school year's roster was imported.
APRIL_BAND_NOTE = (
    "4月の一覧の帯: 新年度は欠席日数を0から数え直すため、翌月中に30日に達する見込みは低く、"
    "帯は「低」が多くなります。前年度の欠席が理由の児童生徒から様子を確かめてください。"
)
APRIL_ROSTER_NOTE = (
    "新年度の在籍名簿を取り込む前に作った4月の一覧には、前年度の6年生・中学3年生は入らず、"
    "学年は進級後の学年、組は空欄です。"
)

MONTH = "対象月"
SCHOOL_CODE = "学校コード"
SCHOOL_NAME = "学校名"
ORDER = "確認の順（校内）"
ADDRESS_CODE = "宛名番号"
BAND = "目安（帯）"
REASONS = "主な理由"
REASON_SEPARATOR = "／"
SHEET = "見守りアラート"


class ListedPupil(Protocol):
    """What a row needs of an alert (``toda_desktop.risk.service.Alert``)."""

    @property
    def month(self) -> SchoolMonth: ...
    @property
    def school_code(self) -> str: ...
    @property
    def school_name(self) -> str: ...
    @property
    def address_code(self) -> str | None: ...
    @property
    def rank(self) -> int: ...
    @property
    def band(self) -> str: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Content:
    """Who the file may name: decided by the service from the role, never by the caller."""

    with_codes: bool  # the 宛名番号 column
    with_reasons: bool  # the 主な理由 column


def header(content: Content) -> list[str]:
    columns = [MONTH, SCHOOL_CODE, SCHOOL_NAME, ORDER]
    if content.with_codes:
        columns.append(ADDRESS_CODE)
    columns.append(BAND)
    if content.with_reasons:
        columns.append(REASONS)
    return columns


def preamble(month: SchoolMonth, content: Content, *, date_style: DateStyle, made: datetime,
             school: str | None = None, csv: bool = True) -> list[list[str]]:
    """The lines above the table, one cell each (a spreadsheet shows them across the top)."""
    this, before = format_month(month, date_style), format_month(month.previous(), date_style)
    where = f"{school}の" if school else "学校ごとの"
    lines = [
        CAUTION,
        f"{this}に使う{where}見守りアラートの一覧です（{before}末までのデータから作成。"
        f"出力 {format_datetime(made, date_style)}）。",
        ORDER_NOTE,
    ]
    if month.offset == 0:  # April
        lines += ["※" + APRIL_BAND_NOTE, "※" + APRIL_ROSTER_NOTE]
    if not content.with_reasons:
        lines.append(NO_PUPILS_NOTE)
    if csv:
        codes = "学校コード・宛名番号" if content.with_codes else "学校コード"
        lines.append(LEADING_ZEROS_NOTE.format(codes=codes))
    return [[line] for line in lines] + [[]]


def ordered(alerts: Iterable[ListedPupil]) -> list[ListedPupil]:
    """School by school (school-code order), and within a school in the order of checking."""
    return sorted(alerts, key=lambda a: (a.school_code, a.rank))


def data_rows(alerts: Iterable[ListedPupil], content: Content,
              date_style: DateStyle) -> list[list[object]]:
    rows: list[list[object]] = []
    for a in ordered(alerts):
        row: list[object] = [format_month(a.month, date_style), a.school_code, a.school_name,
                             a.rank]
        if content.with_codes:
            row.append(a.address_code or "")
        row.append(a.band)
        if content.with_reasons:
            row.append(REASON_SEPARATOR.join(a.reasons))
        rows.append(row)
    return rows


def by_school(alerts: Iterable[ListedPupil]) -> dict[str, list[ListedPupil]]:
    """Each school's alerts (school-code order), for one file per school."""
    schools: dict[str, list[ListedPupil]] = {}
    for a in ordered(alerts):
        schools.setdefault(a.school_code, []).append(a)
    return schools


def school_file_name(school_code: str, school_name: str, month: SchoolMonth) -> str:
    """「13101_戸田第一小学校_2025-10_見守りアラート」: school and month only, no pupil."""
    return f"{school_code}_{school_name}_{month}_{SHEET}"


def write_list(path: Path, month: SchoolMonth, alerts: Sequence[ListedPupil], content: Content, *,
               encoding: str = "utf-8-sig", date_style: DateStyle = DateStyle.WAREKI,
               made: datetime, school: str | None = None,
               overwrite: bool = False) -> ExportResult:
    """The lines, the header and the rows as CSV (or .xlsx by the suffix); ``rows`` of the
    result counts pupils, not the caution lines."""
    xlsx = path.suffix.lower() == ".xlsx"
    lines = preamble(month, content, date_style=date_style, made=made,
                     school=school, csv=not xlsx)
    table: list[Sequence[object]] = [*lines[1:], header(content),
                                     *data_rows(alerts, content, date_style)]
    if xlsx:
        out = write_xlsx(path, lines[0], table, sheet=SHEET, overwrite=overwrite)
    else:
        out = write_csv(path, lines[0], table, encoding=encoding, overwrite=overwrite)
    return ExportResult(out.path, len(alerts), out.replaced_characters)
