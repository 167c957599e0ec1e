"""Files as schools and vendors really hand them over, written among the messy city's files.

The interchange files (one per kind) carry cell-level mess; these carry the shapes of real
files that issue 10 met, each from the city's own data of the last school year, in the same
folder. A form carries its records instead of the interchange file (``Form.covers``: the rows
of the kind's frame it holds are left out of ``attendance_monthly_2025.csv`` …), so that
importing every file stores each record once:

- 月別欠席日数_… .csv (CP932): months as columns, a title row holding the year, a 授業日数
  row, a 計 column and a 合計 row at the bottom;
- 学期別出欠_… .xlsx: junior-high attendance per term under a two-row header (the term merged
  above 授業日数 / 欠席日数 / 遅刻 / 早退), the year in a column, a 小計 row;
- 出欠_… .xlsx: a per-school attendance workbook with two sheets (one per grade), each ending
  in a 小計 row and the last in a 合計 row;
- 保健室来室記録_… .csv (CP932): 症状区分 values outside the product's list (頭痛, けが …) and
  same-day repeat visits without 入室時刻, some identical in every column;
- 調査設問マスタ_日本語コード.csv / 調査回答_日本語コード_… .csv: 設問コード in Japanese
  (LESSON_わかる);
- AiGROW結果_… .csv, RST受検結果_… .xlsx, QU_… .csv: instrument exports (one column per
  item; scores, rates, groups), with 平均 rows and years in titles or file names;
- 県学調_学校質問紙_… .csv: the school questionnaire, one row per school.

The ground truth lists each form (``ground_truth/forms.csv``: file, kind, format, encoding,
features, rows) and each of its data rows (``ground_truth/forms_rows.csv``: file, sheet,
excel_row, kind, address_code — the school code for the school questionnaire, empty for the
item master — and expect: ``stored``, or ``repeat`` for a row identical in every column to
an earlier row, which an import reports as a duplicate and stores only when repeats are
kept). Title, header, 授業日数 and totals rows (合計, 小計, 平均) are not in ``forms_rows.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.wareki import format_school_year
from kernel.date_style import DateStyle
from kernel.school_calendar import FIRST_MONTH, school_year_end, school_year_start
from kernel.school_calendar import SCHOOL_MONTHS as MONTHS
from toda_desktop.demo.generator import DemoCity
from toda_desktop.demo.rng import stream
from toda_desktop.demo.xlsx import Sheet, write_book

TERMS = ("1学期", "2学期", "3学期")
UNKNOWN_SYMPTOMS = ("頭痛", "腹痛", "けが", "気分不良", "発熱", "相談")
JAPANESE_ITEMS = {"LE-1": "LESSON_わかる", "LJ-1": "LESSON_わかる", "LE-2": "LESSON_楽しい",
                  "LJ-2": "LESSON_楽しい", "LE-3": "LESSON_探究心", "LJ-3": "LESSON_探究心"}
AIGROW_ITEMS = ("自己効力感", "協働性", "創造性", "好奇心", "やり抜く力", "寛容性")
RST_ITEMS = ("係り受け", "照応", "同義文判定", "推論", "イメージ同定", "具体例同定")


@dataclass
class Form:
    file: str
    kind: str
    format: str
    encoding: str
    features: tuple[str, ...]
    rows: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet, row, who, expect
    covers: list[int] = field(default_factory=list)  # positions in frames[kind] it carries


@dataclass(frozen=True)
class FormsOutput:
    files: list[Path]
    forms: list[Form]

    def covers(self, kind: str) -> npt.NDArray[np.int64]:
        """Positions in ``frames[kind]`` that the forms carry (left out of the other files)."""
        rows = {i for f in self.forms if f.kind == kind for i in f.covers}
        return np.asarray(sorted(rows), dtype=np.int64)


class _City:
    """The last school year of the city, as rosters and per-pupil frames."""

    def __init__(self, city: DemoCity) -> None:
        f = city.frames
        self.frames = f
        self.year = int(city.config.years[-1])
        self.title_year = format_school_year(self.year, DateStyle.WAREKI)
        enrol = f["enrollments"]
        enrol = enrol.loc[enrol["school_year"] == self.year].drop_duplicates(
            "address_code", keep="last")
        names = f["students"][["address_code", "name"]]
        self.enrol = enrol.merge(names, on="address_code").sort_values(
            ["school_code", "grade", "class_name", "seat_number"], kind="stable")
        schools = f["schools"]
        self.school_name = dict(zip(schools["school_code"].astype(str),
                                    schools["school_name"].astype(str), strict=True))
        self.primary = sorted(schools.loc[schools["school_type"] == "小学校", "school_code"])
        self.junior = sorted(schools.loc[schools["school_type"] == "中学校", "school_code"])

    def biggest_class(self, school: str, grades: Sequence[int]) -> pd.DataFrame:
        e = self.enrol.loc[(self.enrol["school_code"] == school)
                           & self.enrol["grade"].isin(list(grades))]
        sizes = e.groupby(["grade", "class_name"]).size().sort_values(ascending=False,
                                                                      kind="stable")
        grade, class_name = sizes.index[0]
        return pd.DataFrame(e.loc[(e["grade"] == grade) & (e["class_name"] == class_name)])

    def of_year(self, kind: str, pupils: pd.DataFrame) -> pd.DataFrame:
        frame = self.frames[kind]
        frame = frame.loc[frame["address_code"].isin(set(pupils["address_code"]))]
        if "school_year" in frame.columns:
            frame = frame.loc[frame["school_year"] == self.year]
        return frame

    def positions(self, kind: str, rows: pd.DataFrame) -> list[int]:
        """Positions in ``frames[kind]`` of some of its rows (what a form carries)."""
        found = self.frames[kind].index.get_indexer(rows.index)
        return [int(i) for i in found]


def _csv_bytes(rows: Sequence[Sequence[object]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding, errors="replace")


def _text(value: object) -> object:
    return "" if value is None or value is pd.NA or (
        isinstance(value, float) and np.isnan(value)) else value


def months_form(c: _City, folder: Path) -> Form:
    cls = c.biggest_class(c.primary[0], (3, 4, 5, 6))
    school = str(cls["school_code"].iloc[0])
    grade, class_name = int(cls["grade"].iloc[0]), str(cls["class_name"].iloc[0])
    att = c.of_year("attendance_monthly", cls)
    form_covers = c.positions("attendance_monthly", att)
    absence = att.pivot_table(index="address_code", columns="month", values="absence_days",
                              aggfunc="sum")
    days = att.groupby("month")["school_days"].agg(lambda s: int(s.mode().iloc[0]))
    name = f"月別欠席日数_{c.school_name[school]}_{grade}年{class_name}組.csv"
    form = Form(name, "attendance_monthly", "csv", "cp932",
                ("months_as_columns", "title_year", "school_days_row", "total_column",
                 "totals_row"), covers=form_covers)
    rows: list[list[object]] = [
        [f"{c.title_year}　月別欠席日数一覧（{c.school_name[school]}　{grade}年{class_name}組）"],
        ["学校コード", "学年", "組", "出席番号", "氏名", *[f"{m}月" for m in MONTHS], "計"],
        ["", "", "", "", "授業日数", *[int(days[m]) if m in days.index else "" for m in MONTHS],
         int(days.sum())],
    ]
    totals = np.zeros(len(MONTHS), dtype=np.int64)
    for _, p in cls.iterrows():
        if p["address_code"] not in absence.index:
            continue
        got = absence.loc[p["address_code"]]
        known = [int(got[m]) if m in got.index and not pd.isna(got[m]) else None for m in MONTHS]
        totals += np.asarray([v or 0 for v in known], dtype=np.int64)
        rows.append([school, grade, class_name, int(p["seat_number"]), p["name"],
                     *["" if v is None else v for v in known], sum(v or 0 for v in known)])
        form.rows.append(("", len(rows), str(p["address_code"]), "stored"))
    rows.append(["", "", "", "", "合計", *totals.tolist(), int(totals.sum())])
    (folder / name).write_bytes(_csv_bytes(rows, "cp932"))
    return form


def terms_form(c: _City, folder: Path) -> Form:
    cls = c.biggest_class(c.junior[0], (7, 8, 9))
    school = str(cls["school_code"].iloc[0])
    grade, class_name = int(cls["grade"].iloc[0]), str(cls["class_name"].iloc[0])
    own = c.of_year("attendance_term", cls)
    term = own.set_index(["address_code", "term"])
    measures = ("school_days", "absence_days", "late_count", "early_leave_count")
    name = f"学期別出欠_{c.school_name[school]}.xlsx"
    form = Form(name, "attendance_term", "xlsx", "", ("per_term", "two_row_header",
                                                      "subtotal_row"),
                covers=c.positions("attendance_term", own))
    upper: list[object] = ["年度", "学校コード", "学年", "組", "出席番号", "氏名"]
    lower: list[object] = ["", "", "", "", "", ""]
    merges = [(2, col, 3, col) for col in range(1, 7)]
    for i, t in enumerate(TERMS):
        upper += [t, "", "", ""]
        lower += ["授業日数", "欠席日数", "遅刻", "早退"]
        start = 7 + 4 * i
        merges.append((2, start, 2, start + 3))
    rows: list[list[object]] = [[f"{c.school_name[school]}　学期別出欠一覧"], upper, lower]
    sums = np.zeros(4 * len(TERMS), dtype=np.int64)
    for _, p in cls.iterrows():
        cells: list[object] = []
        for t in TERMS:
            key = (p["address_code"], t)
            for m in measures:
                v = term[m].get(key) if key in term.index else None
                cells.append("" if v is None or pd.isna(v) else int(v))
        sums += np.asarray([v if v != "" else 0 for v in cells], dtype=np.int64)
        rows.append([c.year, school, grade, class_name, int(p["seat_number"]), p["name"],
                     *cells])
        form.rows.append((f"{grade}年{class_name}組", len(rows), str(p["address_code"]),
                          "stored"))
    rows.append(["", "", "", "", "", "小計", *sums.tolist()])
    write_book(folder / name, [Sheet(f"{grade}年{class_name}組", rows, merges)])
    return form


def workbook_form(c: _City, folder: Path) -> Form:
    school = c.primary[-1]
    grades = sorted(set(c.enrol.loc[c.enrol["school_code"] == school, "grade"]))[:2]
    name = f"出欠_{c.school_name[school]}_{c.year}.xlsx"
    form = Form(name, "attendance_monthly", "xlsx", "", ("two_sheets", "subtotal_row",
                                                         "totals_row"))
    header = ["年度", "月", "学校コード", "学年", "組", "出席番号", "氏名", "授業日数", "欠席日数",
              "病気欠席", "遅刻", "早退"]
    sheets = []
    grand = np.zeros(5, dtype=np.int64)
    for n, grade in enumerate(grades):
        pupils = c.enrol.loc[(c.enrol["school_code"] == school) & (c.enrol["grade"] == grade)]
        own = c.of_year("attendance_monthly", pupils)
        form.covers += c.positions("attendance_monthly", own)
        att = own.merge(
            pupils[["address_code", "school_code", "grade", "class_name", "seat_number",
                    "name"]], on="address_code", suffixes=("", "_e"))
        att = att.sort_values(["class_name", "seat_number", "month"], kind="stable",
                              key=lambda s: s.map(lambda m: (m - FIRST_MONTH) % 12)
                              if s.name == "month" else s)
        rows: list[list[object]] = [list(header)]
        sub = np.zeros(5, dtype=np.int64)
        for _, r in att.iterrows():
            values = [_text(r[k]) for k in ("school_days", "absence_days", "sick_days",
                                             "late_count", "early_leave_count")]
            sub += np.asarray([int(str(v)) if v != "" else 0 for v in values], dtype=np.int64)
            rows.append([c.year, int(r["month"]), school, int(r["grade"]), str(r["class_name"]),
                         int(r["seat_number"]), r["name"], *values])
            form.rows.append((f"{grade}年", len(rows), str(r["address_code"]), "stored"))
        rows.append(["", "", "", "", "", "", "小計", *sub.tolist()])
        grand += sub
        if n == len(grades) - 1:
            rows.append(["", "", "", "", "", "", "合計", *grand.tolist()])
        sheets.append(Sheet(f"{grade}年", rows))
    write_book(folder / name, sheets)
    return form


def health_form(c: _City, folder: Path, rng: np.random.Generator) -> Form:
    school = c.primary[0]
    pupils = c.enrol.loc[c.enrol["school_code"] == school]
    visits = c.frames["health_room_visits"]
    start, end = school_year_start(c.year).isoformat(), school_year_end(c.year).isoformat()
    visits = visits.loc[visits["address_code"].isin(set(pupils["address_code"]))
                        & (visits["visit_date"] >= start) & (visits["visit_date"] <= end)]
    own = visits
    visits = visits.merge(pupils[["address_code", "grade", "class_name", "seat_number", "name"]],
                          on="address_code").sort_values(["visit_date", "time_in"],
                                                         kind="stable")
    name = f"保健室来室記録_{c.school_name[school]}.csv"
    form = Form(name, "health_room_visits", "csv", "cp932",
                ("unknown_symptom", "repeat_visit_without_time", "identical_rows"),
                covers=c.positions("health_room_visits", own))
    rows: list[list[object]] = [["利用日", "学校コード", "学年", "組", "出席番号", "氏名",
                                 "入室時刻", "退室時刻", "症状区分"]]
    n = len(visits)
    unknown = rng.random(n) < 0.3
    repeat = rng.random(n) < 0.08
    identical = repeat & (rng.random(n) < 0.5)
    picks = rng.integers(0, len(UNKNOWN_SYMPTOMS), n)
    seen: set[tuple[object, ...]] = set()

    def add(row: list[object], who: str) -> None:
        # Identical in every column to an earlier row: an import reports it as a duplicate.
        rows.append(row)
        form.rows.append(("", len(rows), who, "repeat" if tuple(row) in seen else "stored"))
        seen.add(tuple(row))

    for i, (_, v) in enumerate(visits.iterrows()):
        symptom = UNKNOWN_SYMPTOMS[picks[i]] if unknown[i] else _text(v["symptom"])
        base = [v["visit_date"].replace("-", "/"), school, int(v["grade"]), str(v["class_name"]),
                int(v["seat_number"]), v["name"]]
        time_in = "" if repeat[i] else _text(v["time_in"])
        add([*base, time_in, _text(v["time_out"]), symptom], str(v["address_code"]))
        if repeat[i]:  # the pupil came back the same day; the log has no time for either
            again = list(rows[-1]) if identical[i] else [*base, "", "", "その他"]
            add(again, str(v["address_code"]))
    (folder / name).write_bytes(_csv_bytes(rows, "cp932"))
    return form


def japanese_codes_forms(c: _City, folder: Path) -> list[Form]:
    items = c.frames["survey_items"]
    items = items.loc[(items["survey_code"] == "LESSON") & (items["school_year"] == c.year)]
    master = Form("調査設問マスタ_日本語コード.csv", "survey_items", "csv", "utf-8-sig",
                  ("japanese_item_code",))
    rows: list[list[object]] = [["調査コード", "年度", "学年", "設問コード", "設問文", "選択肢数",
                                 "肯定的回答", "領域"]]
    for _, it in items.iterrows():
        rows.append(["LESSON", c.year, int(it["grade"]), JAPANESE_ITEMS.get(
            str(it["item_code"]), str(it["item_code"])), it["item_text"], int(it["choice_count"]),
            it["positive_answers"], _text(it["domain"])])
        master.rows.append(("", len(rows), "", "stored"))
    (folder / master.file).write_bytes(_csv_bytes(rows, "utf-8-sig"))
    school = c.junior[0]
    pupils = c.enrol.loc[c.enrol["school_code"] == school]
    answers = c.of_year("survey_responses", pupils)
    answers = answers.loc[answers["survey_code"] == "LESSON"]
    own = answers
    answers = answers.merge(
        pupils[["address_code", "google_account"]], on="address_code")
    responses = Form(f"調査回答_日本語コード_{c.year}.csv", "survey_responses", "csv", "utf-8",
                     ("japanese_item_code",), covers=c.positions("survey_responses", own))
    rows = [["調査コード", "年度", "回", "実施日", "Googleアカウント", "教科", "設問コード",
             "回答"]]
    for _, a in answers.iterrows():
        rows.append(["LESSON", c.year, _text(a["round"]), _text(a["survey_date"]),
                     a["google_account"], _text(a["subject"]),
                     JAPANESE_ITEMS.get(str(a["item_code"]), str(a["item_code"])),
                     int(a["answer"])])
        responses.rows.append(("", len(rows), str(a["address_code"]), "stored"))
    (folder / responses.file).write_bytes(_csv_bytes(rows, "utf-8"))
    return [master, responses]


def _truant(c: _City) -> set[str]:
    la = c.frames["long_absence"]
    hit = la.loc[(la["school_year"] == c.year) & la["truancy"].astype(bool)]
    return set(hit["address_code"].astype(str))


def aigrow_form(c: _City, folder: Path, rng: np.random.Generator) -> Form:
    school = c.junior[0]
    pupils = c.enrol.loc[c.enrol["school_code"] == school]
    truant = _truant(c)
    name = f"AiGROW結果_{c.year}_{c.school_name[school]}.csv"
    form = Form(name, "survey_responses", "csv", "utf-8-sig", ("aigrow", "wide_items",
                                                              "year_in_file_name"))
    rows: list[list[object]] = [["学校コード", "学年", "組", "番号", "氏名", "受検日",
                                 *AIGROW_ITEMS]]
    for _, p in pupils.iterrows():
        away = str(p["address_code"]) in truant
        if away and rng.random() < 0.5:
            continue  # did not take the test
        shift = -8.0 if away else 0.0
        scores = np.clip(np.round(rng.normal(50 + shift, 10, len(AIGROW_ITEMS))), 20, 80)
        rows.append([str(p["school_code"]), int(p["grade"]), str(p["class_name"]),
                     int(p["seat_number"]), p["name"], f"{c.year}/06/12",
                     *[int(s) for s in scores]])
        form.rows.append(("", len(rows), str(p["address_code"]), "stored"))
    (folder / name).write_bytes(_csv_bytes(rows, "utf-8-sig"))
    return form


def rst_form(c: _City, folder: Path, rng: np.random.Generator) -> Form:
    school = c.junior[0]
    cls = c.biggest_class(school, (7, 8, 9))
    name = f"RST受検結果_{c.school_name[school]}.xlsx"
    form = Form(name, "survey_responses", "xlsx", "", ("rst", "wide_items", "title_year",
                                                      "average_row"))
    rows: list[list[object]] = [
        [f"リーディングスキルテスト（RST）　受検結果　{c.title_year}"], [],
        ["学校コード", "学年", "組", "出席番号", "氏名", "受検日", *RST_ITEMS]]
    rates = []
    for _, p in cls.iterrows():
        r = np.round(rng.beta(5, 3, len(RST_ITEMS)), 2)
        rates.append(r)
        rows.append([str(p["school_code"]), int(p["grade"]), str(p["class_name"]),
                     int(p["seat_number"]), p["name"], f"{c.year}-07-01",
                     *[float(x) for x in r]])
        form.rows.append(("RST結果", len(rows), str(p["address_code"]), "stored"))
    mean = np.round(np.asarray(rates, dtype=np.float64).mean(axis=0), 2) if rates else \
        np.zeros(len(RST_ITEMS))
    rows.append(["", "", "", "", "平均", "", *[float(x) for x in np.atleast_1d(mean)]])
    write_book(folder / name, [Sheet("RST結果", rows)])
    return form


def qu_group(approval: int, infringement: int) -> str:
    """Q-U's four groups from the two scales (approval high/low × infringement low/high)."""
    high, low = approval >= 30, infringement < 25
    if high and low:
        return "学級生活満足群"
    if low:
        return "非承認群"
    if high:
        return "侵害行為認知群"
    return "学級生活不満足群"


def qu_form(c: _City, folder: Path, rng: np.random.Generator) -> Form:
    cls = c.biggest_class(c.primary[0], (3, 4, 5, 6))
    school = str(cls["school_code"].iloc[0])
    grade, class_name = int(cls["grade"].iloc[0]), str(cls["class_name"].iloc[0])
    truant = _truant(c)
    name = f"QU_{c.school_name[school]}_{grade}年{class_name}組.csv"
    form = Form(name, "survey_responses", "csv", "cp932", ("q_u", "wide_items", "title_year",
                                                          "average_row"))
    rows: list[list[object]] = [
        [f"Ｑ－Ｕ　学級満足度尺度　結果一覧（{c.title_year}　第1回）"],
        ["学校コード", "学年", "組", "番号", "氏名", "承認得点", "被侵害得点", "群"]]
    scores = []
    for _, p in cls.iterrows():
        away = str(p["address_code"]) in truant
        approval = int(np.clip(round(rng.normal(24 if away else 33, 6)), 12, 48))
        infringement = int(np.clip(round(rng.normal(29 if away else 21, 6)), 12, 48))
        scores.append((approval, infringement))
        rows.append([school, grade, class_name, int(p["seat_number"]), p["name"], approval,
                     infringement, qu_group(approval, infringement)])
        form.rows.append(("", len(rows), str(p["address_code"]), "stored"))
    mean = np.atleast_1d(np.round(np.asarray(scores, dtype=np.float64).mean(axis=0), 1)) \
        if scores else np.zeros(2)
    rows.append(["", "", "", "", "平均", float(mean[0]), float(mean[1]), ""])
    (folder / name).write_bytes(_csv_bytes(rows, "cp932"))
    return form


def questionnaire_form(c: _City, folder: Path) -> Form:
    frame = c.frames["school_questionnaire"]
    frame = frame.loc[frame["school_year"] == c.year]
    items = frame.drop_duplicates("item_code")[["item_code", "item_text"]].to_numpy().tolist()
    name = f"県学調_学校質問紙_{c.year}.csv"
    form = Form(name, "school_questionnaire", "csv", "cp932", ("school_questionnaire",
                                                              "wide_items", "title_year"),
                covers=c.positions("school_questionnaire", frame))
    rows: list[list[object]] = [[f"{c.title_year}　県学力調査　学校質問紙　回答一覧"],
                                ["学校コード", "学校名", *[f"{i} {t}" for i, t in items]]]
    for school, answers in frame.groupby("school_code", sort=True):
        got = dict(zip(answers["item_code"], answers["answer"], strict=True))
        rows.append([school, c.school_name[str(school)],
                     *[_text(got.get(i)) for i, _ in items]])
        form.rows.append(("", len(rows), str(school), "stored"))
    (folder / name).write_bytes(_csv_bytes(rows, "cp932"))
    return form


def write_forms(city: DemoCity, out_dir: Path, seed: int) -> FormsOutput:
    """Write the real-world forms of the last school year into ``out_dir`` and their ground
    truth; ``FormsOutput.forms[i].covers`` says which records the interchange files leave out."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    c = _City(city)
    forms = [
        months_form(c, folder),
        terms_form(c, folder),
        workbook_form(c, folder),
        health_form(c, folder, stream(seed, "forms:health")),
        *japanese_codes_forms(c, folder),
        aigrow_form(c, folder, stream(seed, "forms:aigrow")),
        rst_form(c, folder, stream(seed, "forms:rst")),
        qu_form(c, folder, stream(seed, "forms:qu")),
        questionnaire_form(c, folder),
    ]
    truth = Path(out_dir) / "ground_truth"
    truth.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"file": f.file, "kind": f.kind, "format": f.format, "encoding": f.encoding,
                   "features": ";".join(f.features), "rows": len(f.rows)} for f in forms]
                 ).to_csv(truth / "forms.csv", index=False, lineterminator="\n")
    pd.DataFrame([{"file": f.file, "sheet": s, "excel_row": r, "kind": f.kind,
                   "address_code": who, "expect": expect}
                  for f in forms for s, r, who, expect in f.rows],
                 columns=["file", "sheet", "excel_row", "kind", "address_code", "expect"]
                 ).to_csv(truth / "forms_rows.csv", index=False, lineterminator="\n")
    return FormsOutput([folder / f.file for f in forms], forms)


__all__ = ["Form", "FormsOutput", "qu_group", "write_forms"]
