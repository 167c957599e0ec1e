"""Instruments beyond a 1–10 answer (issue 10, point 8): AiGROW scores, RST rates, Q-U groups
and the 県学調 school questionnaire are imported, shown in the karte and usable as conditions.

The fixtures in tests/fixtures/layouts/ are written by hand as the instruments' exports come:
one row per pupil and one column per item, title rows holding the year, 平均 rows at the
bottom, CP932 and .xlsx; and one long file mixing scores, rates, groups and a Likert answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.connection import Connection
from storage.placement import table_names
from storage.registry import default_registry
from storage.schema import sync_dataset_tables
from tests.importing.helpers import lead_on_new_store
from tests.importing.test_real_file_layouts import import_base
from toda_desktop.composition import SignedIn
from toda_desktop.extraction.model import Extraction, Group
from toda_desktop.extraction.presets import instrument_condition
from toda_desktop.formatting import format_phrase
from toda_desktop.importing.service import ImportPreview, issue_rows
from toda_desktop.instruments import instrument, instruments
from toda_desktop.policy.model import default_policy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
AIGROW = FIXTURES / "AiGROW結果_2024_第一中.csv"
RST = FIXTURES / "RST受検結果_第一中.xlsx"
QU = FIXTURES / "QU_第一小_3年1組.csv"
LONG = FIXTURES / "調査回答_得点と区分.csv"
QUESTIONNAIRE = FIXTURES / "県学調_学校質問紙.csv"


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    with lead_on_new_store(store_path) as signed:
        import_base(signed)
        yield signed


def preview_of(signed: SignedIn, path: Path) -> ImportPreview:
    return signed.importing.preview(signed.importing.inspect(path))


def commit(signed: SignedIn, path: Path) -> ImportPreview:
    preview = preview_of(signed, path)
    assert preview.can_commit, issue_rows(preview)
    signed.importing.commit(preview)
    return preview


def answers(signed: SignedIn, code: str) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(
        "SELECT p.address_code, r.item_code, r.answer, typeof(r.answer), r.school_year"
        " FROM ds_survey_responses r JOIN ds_students p ON p.id = r.pupil_id"
        " WHERE r.survey_code = ? ORDER BY 1, 2", (code,)).fetchall())


def pupil(signed: SignedIn, address: str) -> int:
    return int(signed.store.db.call(lambda c: c.execute(
        "SELECT id FROM ds_students WHERE address_code = ?", (address,)).fetchone()[0]))


# -- import -----------------------------------------------------------------------------------


def test_an_aigrow_export_becomes_one_answer_per_pupil_and_competency_holding_the_score(
    signed: SignedIn,
) -> None:
    preview = commit(signed, AIGROW)
    assert preview.kind.name == "survey_responses"
    assert any("非認知能力調査（AiGROW）の様式" in str(r[4]) for r in issue_rows(preview))
    rows = answers(signed, "AIGROW")
    assert len(rows) == 15  # 中村 took no test: empty cells are not answers
    assert ("0000200001", "SELF_EFFICACY", 55, "integer", 2024) in rows
    assert ("0000200002", "GRIT", 35, "integer", 2024) in rows


def test_rst_rates_are_stored_as_numbers_and_the_average_row_is_not_a_pupil(
    signed: SignedIn,
) -> None:
    preview = commit(signed, RST)
    assert any(r[1] == 7 and "集計行" in str(r[4]) for r in issue_rows(preview))
    rows = answers(signed, "RST")
    assert len(rows) == 18
    assert ("0000200001", "DEP", 0.83, "real", 2024) in rows
    assert ("0000200003", "ANA", 1, "integer", 2024) in rows


def test_q_u_groups_are_stored_as_text_beside_the_scores(signed: SignedIn) -> None:
    commit(signed, QU)
    rows = answers(signed, "QU")
    assert ("0000100002", "GROUP", "学級生活不満足群", "text", 2024) in rows
    assert ("0000100002", "APPROVAL", 22, "integer", 2024) in rows


def test_an_answer_the_instrument_cannot_give_is_an_error_at_the_file_cell(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = tmp_path / "QU_2024.csv"
    path.write_bytes(("学校コード,学年,組,番号,承認得点,群\r\n"
                      "1101,3,1,1,40,満足群\r\n"
                      "1101,3,1,2,22,不満足\r\n").encode("cp932"))
    preview = preview_of(signed, path)
    errors = [r for r in issue_rows(preview) if r[5] == "エラー"]
    assert len(errors) == 1
    assert errors[0][1:4] == [3, "群（回答）", "不満足"]
    assert "学級生活不満足群" in str(errors[0][4])
    aigrow = tmp_path / "AiGROW_2024.csv"
    aigrow.write_text("学校コード,学年,組,番号,自己効力感,協働性\n2101,2,1,1,55,120\n",
                      encoding="utf-8")
    errors = [r for r in issue_rows(preview_of(signed, aigrow)) if r[5] == "エラー"]
    assert [e[1:4] for e in errors] == [[2, "協働性（回答）", "120"]]


def test_a_long_file_mixes_scores_rates_groups_and_choices(signed: SignedIn) -> None:
    commit(signed, LONG)
    got = signed.store.db.call(lambda c: c.execute(
        "SELECT survey_code, item_code, answer, typeof(answer) FROM ds_survey_responses"
        " ORDER BY id").fetchall())
    assert got == [("QU", "GROUP", "学級生活不満足群", "text"), ("QU", "APPROVAL", 20, "integer"),
                   ("AIGROW", "SELF_EFFICACY", 36, "integer"), ("RST", "DEP", 0.42, "real"),
                   ("LESSON", "Q01", 3, "integer")]
    # Importing again adds nothing: numbers and categories compare as stored.
    again = preview_of(signed, LONG)
    assert again.counts["identical"] == 5 and not again.has_changes


def test_the_school_questionnaire_is_stored_per_school_without_a_pupil(signed: SignedIn) -> None:
    preview = commit(signed, QUESTIONNAIRE)
    assert preview.kind.name == "school_questionnaire"
    assert any("1行に1校分" in str(r[4]) for r in issue_rows(preview))
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT school_year, school_code, item_code, item_text, answer"
        " FROM ds_school_questionnaire ORDER BY school_code, item_code").fetchall(),
        kind="school_questionnaire")
    assert rows[0] == (2024, "1101", "Q1", "授業で課題解決に取り組んでいる", 3)
    assert (2024, "1101", "Q3", "家庭学習の課題の与え方(記述)",
            "学年で統一して毎日出している") in rows
    assert len(rows) == 5  # 第一中 left Q3 empty


def test_the_school_questionnaire_is_school_data_and_surveys_stay_with_their_roles() -> None:
    registry = default_registry()
    policy = default_policy()
    seen = {r: {k.name for k in policy.visible_kinds(r, registry)}
            for r in ("truancy_support", "liaison", "data_analyst")}
    assert registry.kind("school_questionnaire").domain == "school"
    assert "school_questionnaire" in seen["data_analyst"]
    assert "school_questionnaire" not in seen["truancy_support"]
    assert "survey_responses" not in seen["liaison"]
    assert "attendance_term" in seen["truancy_support"]  # attendance is truancy-related


def test_a_file_is_taken_for_an_instrument_export_only_when_its_columns_say_so(
    signed: SignedIn, tmp_path: Path,
) -> None:
    # One column that Q-U also uses, and "qu" inside a word of the file name: not Q-U.
    path = tmp_path / "unique_list_2024.csv"
    path.write_text("宛名番号,健診種別,受診日,判定群\n0000100001,3歳,2019-06-01,異常なし\n",
                    encoding="utf-8")
    inspection = signed.importing.inspect(path)
    assert "調査コード" not in inspection.raw.headers
    named = tmp_path / "QU_2024.csv"
    named.write_text("学校コード,学年,組,番号,群\n1101,3,1,1,非承認群\n", encoding="utf-8")
    assert "調査コード" in signed.importing.inspect(named).raw.headers


# -- karte and extraction ---------------------------------------------------------------------


def test_the_karte_charts_scores_per_item_and_names_the_q_u_group_with_a_mark(
    signed: SignedIn,
) -> None:
    commit(signed, AIGROW)
    karte = signed.karte.open(pupil(signed, "0000200002"))
    chart = next(c for c in karte.charts if c.key == "instrument:AIGROW")
    assert chart.title == "非認知能力調査（AiGROW）" and chart.y_range == (0.0, 100.0)
    by_label = {s.label: s.values for s in chart.series}
    assert by_label["自己効力感"] == (38.0,)
    records = signed.karte.source_records(karte.header.pupil_id, chart.key, chart.x[0],
                                          "GRIT")
    assert [r[records.keys.index("answer")] for r in records.rows] == [35]
    commit(signed, QU)
    karte = signed.karte.open(pupil(signed, "0000100002"))
    qu = next(c for c in karte.charts if c.key == "instrument:QU")
    # The export's title says 第1回: the round is read from it (QA, tests/importing/test_forms_qa).
    assert [format_phrase(x) for x in qu.x_labels] == ["2024年度 第1回（学級生活不満足群※）"]
    assert {s.key for s in qu.series} == {"APPROVAL", "INFRINGEMENT"}


def test_conditions_find_a_q_u_group_and_low_aigrow_scores(signed: SignedIn) -> None:
    commit(signed, QU)
    commit(signed, AIGROW)
    extraction = Extraction("Q-U", Group(items=(
        instrument_condition("QU", "==", "学級生活不満足群"),)), school_year=2024)
    result = signed.extraction.run(extraction)
    assert [r.name for r in result.rows] == ["佐藤　太郎"]
    low = Extraction("AiGROW", Group(items=(instrument_condition("AIGROW", "<", 40),)),
                     school_year=2024)
    assert [r.name for r in signed.extraction.run(low).rows] == ["渡邉　結衣"]
    concern = instrument("QU")
    assert concern is not None
    any_concern = Extraction("要支援", Group(items=(
        instrument_condition("QU", "in", concern.concern),)), school_year=2024)
    assert len(signed.extraction.run(any_concern).rows) == 3
    field = next(f for f in signed.extraction.fields()
                 if f.kind == "survey_responses" and f.field == "answer")
    assert "<" in field.operators and "==" in field.operators


def test_every_declared_instrument_has_items_and_a_valid_answer_kind() -> None:
    declared = {i.code: i for i in instruments()}
    assert {"AIGROW", "RST", "QU"} <= set(declared)
    assert declared["QU"].answer_of("GROUP") == "category"
    assert declared["RST"].max == 1.0
    assert all(i.items for i in declared.values())


def test_an_item_the_master_marks_as_a_score_never_counts_as_a_positive_answer(
    signed: SignedIn, tmp_path: Path,
) -> None:
    items = tmp_path / "調査設問マスタ.csv"
    items.write_text("調査コード,年度,設問コード,設問文,選択肢数,肯定的回答,領域,回答の種類\n"
                     "MIX,2024,C1,授業は楽しい,4,\"3,4\",学習,選択肢\n"
                     "MIX,2024,S1,自己効力感の得点,10,\"3,4\",自己肯定感,得点\n",
                     encoding="utf-8")
    commit(signed, items)
    answers_file = tmp_path / "調査回答.csv"
    answers_file.write_text("調査コード,年度,回,学校コード,学年,組,出席番号,設問コード,回答\n"
                            "MIX,2024,1,1101,3,1,1,C1,4\n"
                            "MIX,2024,1,1101,3,1,1,S1,3\n", encoding="utf-8")
    commit(signed, answers_file)
    karte = signed.karte.open(pupil(signed, "0000100001"))
    chart = next(c for c in karte.charts if c.key == "survey:MIX")
    overall = next(s for s in chart.series if s.key == "全体")
    assert overall.values == (100.0,)  # only C1 counts; S1's 3 is a score, not "positive"
    assert {s.key for s in chart.series} == {"全体", "学習"}


# -- the store --------------------------------------------------------------------------------


def test_an_existing_store_gains_the_new_kinds_and_columns(signed: SignedIn) -> None:
    def drop_and_sync(conn: Connection) -> list[str]:
        conn.execute("DROP TABLE ds_attendance_term")
        conn.execute("ALTER TABLE ds_survey_items DROP COLUMN answer_type")
        sync_dataset_tables(conn, default_registry())
        tables = sorted(table_names(conn))  # in the store file and the group files
        columns = [str(r[1]) for r in conn.execute("PRAGMA table_info(ds_survey_items)")]
        return [*tables, *columns]

    def drop_and_sync_school(conn: Connection) -> list[str]:  # (the school lane's file)
        conn.execute("DROP TABLE ds_school_questionnaire")
        sync_dataset_tables(conn, default_registry())
        return sorted(table_names(conn))

    found = signed.store.db.call(drop_and_sync) + signed.store.db.call(
        drop_and_sync_school, kind="school_questionnaire")
    assert {"ds_attendance_term", "ds_school_questionnaire", "answer_type"} <= set(found)
