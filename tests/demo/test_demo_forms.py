"""The messy demo output carries the real files' shapes of issue 10 (``demo.forms``), the
layouts and instrument exports among them import, and the output is the same for a seed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.textio import list_sheets
from storage.registry import default_registry
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application, SignedIn
from toda_desktop.demo import DemoConfig, generate_city, write_interchange_files
from toda_desktop.demo.forms import qu_group
from toda_desktop.demo.generator import DemoCity
from toda_desktop.importing.service import issue_rows
from toda_desktop.store_setup import create_empty_store

SEED = 11


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_city(DemoConfig.small(seed=SEED))


@pytest.fixture(scope="module")
def messy(city: DemoCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    write_interchange_files(city, out, messy=True, seed=SEED)
    return out


@pytest.fixture(scope="module")
def clean(city: DemoCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    write_interchange_files(city, out, messy=False)
    return out


def forms(messy: Path) -> pd.DataFrame:
    return pd.read_csv(messy / "ground_truth" / "forms.csv", dtype=str, keep_default_na=False)


def form_path(messy: Path, feature: str) -> Path:
    table = forms(messy)
    name = table.loc[table["features"].str.split(";").map(lambda f: feature in f), "file"]
    assert len(name) == 1, feature
    return messy / str(name.iloc[0])


def csv_rows(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))


# -- the shapes are there ---------------------------------------------------------------------


def test_months_as_columns_come_with_a_title_year_a_school_days_row_and_a_totals_row(
    messy: Path,
) -> None:
    rows = csv_rows(form_path(messy, "months_as_columns"), "cp932")
    assert "年度" in rows[0][0]
    assert rows[1][5:17] == [f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    assert rows[1][-1] == "計" and rows[2][4] == "授業日数" and rows[-1][4] == "合計"


def test_per_term_attendance_has_the_term_merged_above_its_measures(messy: Path) -> None:
    path = form_path(messy, "per_term")
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "G2:J2" in merged and sheet["G2"].value == "1学期"
    assert sheet["G3"].value == "授業日数" and sheet.cell(sheet.max_row, 6).value == "小計"


def test_a_per_school_workbook_has_two_sheets_each_ending_in_a_totals_row(messy: Path) -> None:
    path = form_path(messy, "two_sheets")
    assert len(list_sheets(path.read_bytes())) == 2
    book = openpyxl.load_workbook(path)
    last = [ws.cell(ws.max_row, 7).value for ws in book.worksheets]
    assert last[0] == "小計" and book.worksheets[1].cell(book.worksheets[1].max_row - 1,
                                                         7).value == "小計"
    assert last[1] == "合計"


def test_the_health_room_log_has_unknown_symptoms_and_timeless_same_day_repeats(
    messy: Path,
) -> None:
    rows = csv_rows(form_path(messy, "unknown_symptom"), "cp932")
    header, data = rows[0], rows[1:]
    known = set(default_registry().kind("health_room_visits").column("symptom").values)
    symptom = header.index("症状区分")
    assert {r[symptom] for r in data} - known - {""}
    time_in = header.index("入室時刻")
    same_day_blank = [a for a, b in pairwise(data)
                      if a[:6] == b[:6] and a[time_in] == "" and b[time_in] == ""]
    assert same_day_blank
    assert any(a == b for a, b in pairwise(data))  # identical in every column
    assert any(a != b for a, b in pairwise(data) if a[:6] == b[:6]
               and a[time_in] == "" and b[time_in] == "")


def test_survey_item_codes_come_in_japanese(messy: Path) -> None:
    table = forms(messy)
    files = table.loc[table["features"] == "japanese_item_code"].set_index("kind")["file"]
    master = csv_rows(messy / files["survey_items"], "utf-8-sig")
    assert "LESSON_わかる" in {r[3] for r in master[1:]}
    answers = csv_rows(messy / files["survey_responses"], "utf-8")
    assert "LESSON_わかる" in {r[6] for r in answers[1:]}


def test_instrument_exports_hold_scores_rates_and_groups(messy: Path) -> None:
    aigrow = csv_rows(form_path(messy, "aigrow"), "utf-8-sig")
    assert all(20 <= int(v) <= 80 for r in aigrow[1:] for v in r[6:])
    qu = csv_rows(form_path(messy, "q_u"), "cp932")
    groups = {r[7] for r in qu[2:-1]}
    assert groups <= {"学級生活満足群", "非承認群", "侵害行為認知群", "学級生活不満足群"}
    assert qu[-1][4] == "平均"
    rst = openpyxl.load_workbook(form_path(messy, "rst")).active
    assert rst is not None
    assert all(0 <= float(c.value) <= 1 for c in rst[4][6:])
    assert qu_group(40, 14) == "学級生活満足群" and qu_group(20, 35) == "学級生活不満足群"


def test_the_same_seed_writes_the_same_forms(city: DemoCity, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = write_interchange_files(city, a, messy=True, seed=SEED).forms
    second = write_interchange_files(city, b, messy=True, seed=SEED).forms
    assert [p.name for p in first] == [p.name for p in second]
    assert all(p.read_bytes() == q.read_bytes() for p, q in zip(first, second, strict=True))


# -- layouts and instruments import -----------------------------------------------------------


@pytest.fixture
def signed(store_path: Path, clean: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    base = sorted(clean.glob("students*.csv")) + sorted(clean.glob("schools*.csv")) + sorted(
        clean.glob("enrollments_*.csv"))
    for path in base:
        signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
    yield signed
    app.close()


@pytest.mark.parametrize("feature", ["months_as_columns", "per_term", "aigrow", "rst", "q_u"])
def test_layout_and_instrument_forms_import_every_pupil_row_to_the_right_pupil(
    signed: SignedIn, messy: Path, feature: str,
) -> None:
    path = form_path(messy, feature)
    preview = signed.importing.preview(signed.importing.inspect(path))
    assert not [r for r in issue_rows(preview) if r[5] == "エラー"], issue_rows(preview)[:5]
    result = signed.importing.commit(preview)
    truth = pd.read_csv(messy / "ground_truth" / "forms_rows.csv", dtype=str,
                        keep_default_na=False)
    truth = truth.loc[truth["file"] == path.name]
    kind = default_registry().kind(forms(messy).set_index("file").at[path.name, "kind"])
    stored = signed.store.db.call(lambda c: c.execute(
        f"SELECT DISTINCT t.source_row, p.address_code FROM {kind.table} t"
        " JOIN ds_students p ON p.id = t.pupil_id WHERE t.batch_id = ?",
        (result.batch_id,)).fetchall())
    expected = {(int(r), a) for r, a in zip(truth["excel_row"], truth["address_code"],
                                            strict=True)}
    assert set(stored) == expected


def test_the_school_questionnaire_form_imports_one_row_per_school_and_item(
    signed: SignedIn, messy: Path, city: DemoCity,
) -> None:
    path = form_path(messy, "school_questionnaire")
    preview = signed.importing.preview(signed.importing.inspect(path))
    assert preview.kind.name == "school_questionnaire" and preview.can_commit
    signed.importing.commit(preview)
    frame = city.frames["school_questionnaire"]
    last = frame.loc[frame["school_year"] == city.config.years[-1]]
    count = signed.store.db.call(lambda c: c.execute(
        "SELECT count(*) FROM ds_school_questionnaire").fetchone()[0],
        kind="school_questionnaire")
    assert count == len(last)
