"""The 名寄せ確認 models compare and write the service's typed fields (never parse its text),
and the pages that show typed results keep no regular expressions for reading them back."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from toda_desktop.review.service import CandidateView, Placement, ReviewItemView, RowValue
from ui.review.models import COMPARE_FIELDS, ComparisonModel, agreement, review_line

UI = Path(__file__).resolve().parents[2] / "ui"
PLACED = Placement(2024, "13101", "さくら小学校", 3, "1", 4)


def _candidate(placement: Placement | None = PLACED) -> CandidateView:
    return CandidateView(7, 80.0, "氏名が一致", "青木　一郎", "アオキ イチロウ",
                         date(2015, 5, 1), "男", "0000101", placement)


def _item(*person: tuple[str, str, str], siblings: int = 0) -> ReviewItemView:
    return ReviewItemView(1, "attendance_monthly", "出欠状況（月次）", "出欠.csv", 5,
                          "氏名だけが一致", tuple(RowValue(*p) for p in person),
                          (RowValue("absent_days", "欠席日数", "3"),), siblings,
                          (_candidate(),))


def _row(field: str) -> int:
    return [f[2] for f in COMPARE_FIELDS].index(field)


def test_the_rows_school_agrees_with_the_candidates_placement_field_by_field() -> None:
    same = review_line(_item(("school_year", "年度", "2024"), ("grade", "学年", "３"),
                             ("class_name", "組", "1"), ("seat_number", "出席番号", "04")))
    assert agreement(same, None, "placement", _candidate()) is True
    other = review_line(_item(("school_year", "年度", "2024"), ("grade", "学年", "4")))
    assert agreement(other, None, "placement", _candidate()) is False
    assert agreement(other, None, "placement", _candidate(None)) is None  # nothing to compare
    nothing = review_line(_item(("name", "氏名", "青木 一郎")))
    assert agreement(nothing, None, "placement", _candidate()) is None


def test_birth_dates_agree_as_dates_and_names_as_people_read_them() -> None:
    line = review_line(_item(("name", "氏名", "青木 一郎"),
                             ("name_kana", "氏名カナ", "あおき いちろう"),
                             ("birth_date", "生年月日", "2015-05-01")))
    assert agreement(line, "birth_date", "birth_date", _candidate()) is True
    assert agreement(line, "name", "name", _candidate()) is True
    assert agreement(line, "name_kana", "name_kana", _candidate()) is True
    later = review_line(_item(("birth_date", "生年月日", "2015-05-02")))
    assert agreement(later, "birth_date", "birth_date", _candidate()) is False


def test_values_keep_their_keys_whatever_their_labels_say() -> None:
    """The row's values come by column key: a label that reads like another column (or a
    kind whose label differs) does not move a value to the wrong field."""
    line = review_line(_item(("grade", "学年（年度初め）", "3"), ("name", "氏名", "青木 一郎"),
                             ("pref_id", "年度", "P24-0101"), siblings=2))
    assert line.values["grade"] == "3" and line.values["pref_id"] == "P24-0101"
    assert "school_year" not in line.values
    assert ("年度", "P24-0101") in line.extra  # not compared: listed beside the table
    assert ("同じ行のほかの記録", "2件（この判断がまとめて適用されます）") in line.extra
    assert ("欠席日数", "3") in line.extra


def test_the_comparison_writes_dates_and_school_years_in_the_date_style(qtbot: QtBot) -> None:
    line = review_line(_item(("school_year", "年度", "2024"), ("grade", "学年", "3"),
                             ("birth_date", "生年月日", "2015-05-01")))
    wareki = ComparisonModel(date_style="wareki")
    wareki.set_line(line)
    assert wareki.cell(_row("placement"), 0) == "令和6年度 3年"
    assert wareki.cell(_row("placement"), 1) == "令和6年度 さくら小学校 3年1組 4番"
    assert wareki.cell(_row("birth_date"), 0) == "平成27年5月1日"
    assert wareki.cell(_row("birth_date"), 1) == "平成27年5月1日"
    seireki = ComparisonModel(date_style="seireki")
    seireki.set_line(line)
    assert seireki.cell(_row("placement"), 1) == "2024年度 さくら小学校 3年1組 4番"
    assert seireki.cell(_row("birth_date"), 1) == "2015年5月1日"
    assert seireki.cell(_row("score"), 1) == "80点"


def _imports_re(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "re" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "re":
            return True
    return False


def test_pages_showing_typed_results_parse_no_text() -> None:
    """Review, import history and the risk pages read fields; a regular expression there
    would mean a service's sentence is being read back."""
    typed = ("review/models.py", "review/page.py", "importing/models/files.py",
             "importing/models/mapping.py", "importing/models/preview.py",
             "importing/history_models.py", "risk/model_page.py", "risk/common.py",
             "risk/charts.py", "risk/pages.py")
    assert all((UI / name).exists() for name in typed)
    assert [name for name in typed if _imports_re(UI / name)] == []


def test_a_withheld_former_candidate_shows_no_identity_and_no_false_disagreement(
    qtbot: QtBot,
) -> None:
    """A former pupil offered to a role without the map's setting: blank identifying cells
    (the name row says why), nothing coloured as differing, the clues still shown."""
    withheld = CandidateView(9, 90.0, "氏名・生年月日が一致", "", "", None, "", "", None,
                             years=(2023, 2024), withheld=True)
    item = ReviewItemView(1, "attendance_monthly", "出欠状況（月次）", "出欠.csv", 5,
                          "候補が複数あります",
                          (RowValue("name", "氏名", "青木 一郎"),
                           RowValue("birth_date", "生年月日", "2015-05-01"),
                           RowValue("school_year", "年度", "2024")),
                          (), 0, (withheld, _candidate()))
    line = review_line(item)
    for _label, key, attribute in COMPARE_FIELDS:
        if attribute in ("name", "name_kana", "birth_date", "sex", "address_code",
                         "placement"):
            assert agreement(line, key, attribute, withheld) is None
    model = ComparisonModel()
    model.set_line(line)
    assert model.cell(_row("name"), 1) == "卒業・転出（表示しません）"
    assert model.cell(_row("address_code"), 1) == ""
    assert model.cell(_row("enrolled"), 1).endswith("に在籍")
    assert model.cell(_row("score"), 1) == "90点"
    assert model.cell(_row("name"), 2) == "青木　一郎"
    assert "卒業・転出" in withheld.label and withheld.label != _candidate().label
