"""The sheet builders are pure: what the user chose is on the sheet, nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from tests.printing.helpers import MovingClock, sign_in
from toda_desktop.karte.sheet import KarteSection, available_sections, karte_sheet
from toda_desktop.printing.document import Fields, Figure, Heading, PrintDocument, Table
from toda_desktop.risk.alert_sheet import alert_sheet
from toda_desktop.risk.service import Alert


def _headings(doc: PrintDocument) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Heading)]


def _text(doc: PrintDocument) -> str:
    parts: list[str] = []
    for b in doc.blocks:
        if isinstance(b, Table):
            parts += [*b.columns, *(c for r in b.rows for c in r), b.caption]
        elif isinstance(b, Fields):
            parts += [c for r in b.rows for c in r]
        elif not isinstance(b, Figure):
            parts.append(getattr(b, "text", ""))
    return "\n".join(parts)


def test_the_karte_sheet_holds_the_chosen_sections_only(demo_store_path: Path) -> None:
    truancy = sign_in(demo_store_path, "truancy_support", MovingClock(datetime(2026, 12, 7)))
    try:
        pupil = truancy.store.db.call(lambda c: int(c.execute(
            "SELECT pupil_id FROM ds_consultations GROUP BY pupil_id LIMIT 1").fetchone()[0]))
        karte = truancy.karte.open(pupil)
        offered = available_sections(karte)
        assert KarteSection.ACADEMIC not in offered  # the role does not see academics
        assert KarteSection.RECORDS in offered
        records = {k: truancy.karte.records(pupil, k) for k in karte.record_kinds}
        doc = karte_sheet(karte, {KarteSection.ATTENDANCE, KarteSection.RECORDS},
                          DateStyle.WAREKI, records)
        headings = _headings(doc)
        assert headings == ["出欠（月別）", "記録"]
        assert karte.header.name not in _text(doc)  # 基本情報 was not chosen
        assert any(isinstance(b, Figure) and b.png.startswith(b"\x89PNG") for b in doc.blocks)
        assert "相談" in _text(doc)
        assert doc.pupils == (pupil,) and karte.header.name not in doc.subject
        # Asking for a section the role's karte lacks adds nothing.
        only = karte_sheet(karte, {KarteSection.BASICS, KarteSection.ACADEMIC},
                           DateStyle.WAREKI)
        assert _headings(only) == ["基本情報"] and karte.header.name in _text(only)
    finally:
        truancy.sign_out()


def _alert(rank: int, school: str = "S1", name: str | None = "髙﨑 一郎") -> Alert:
    return Alert(id=rank, month=SchoolMonth(2026, 11), school_code=school,
                 school_name="戸田第一小学校", pupil_id=100 + rank, address_code=None,
                 rank=rank, band="中", band_text="", reasons=("欠席が増えています",),
                 status=None, note=None, name=name, grade=5, class_name="2")


def test_an_alert_sheet_is_one_school_and_names_pupils_only_when_shown() -> None:
    doc = alert_sheet([_alert(2), _alert(1)], SchoolMonth(2026, 11), DateStyle.WAREKI)
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert [r[0] for r in table.rows] == ["1", "2"] and doc.pupils == (101, 102)
    assert "戸田第一小学校" in doc.subject and "髙﨑" not in doc.subject
    hidden = alert_sheet([_alert(1, name=None)], SchoolMonth(2026, 11), DateStyle.WAREKI)
    assert hidden.pupils == ()
    with pytest.raises(ValueError):
        alert_sheet([_alert(1), _alert(2, school="S2")], SchoolMonth(2026, 11),
                    DateStyle.WAREKI)


def test_an_extraction_sheet_lists_every_pupil_with_the_matched_values() -> None:
    from toda_desktop.extraction.service import (
        ConditionCount,
        ExtractionResult,
        ExtractionRow,
        MatchedValue,
    )
    from toda_desktop.extraction.sheet import extraction_sheet

    rows = tuple(ExtractionRow(
        pupil_id=n, name=f"髙﨑 花子{n}", name_kana="タカサキ ハナコ", school_name="戸田第一小学校",
        school_code="S1", grade=8, class_name="2", seat_number=n, birth_date=None,
        address_code=f"31{n:08d}", values=(MatchedValue(("欠席",), ("12日",)),))
        for n in range(1, 4))
    result = ExtractionResult(name="欠席が多い生徒", school_year=2026, population=900, rows=rows,
                              conditions=(("欠席日数が10日以上",),),
                              counts=(ConditionCount(("欠席日数が10日以上",), 3),), kinds=(),
                              run_at=datetime(2026, 12, 7, 10))
    plain = extraction_sheet(result, DateStyle.WAREKI)
    table = [b for b in plain.blocks if isinstance(b, Table)][-1]
    assert table.columns == ("氏名", "ふりがな", "学校", "学年・組", "条件1")
    assert table.rows[0] == (
        "髙﨑 花子1", "タカサキ ハナコ", "戸田第一小学校", "2年2組 1番", "12日")
    assert plain.pupils == (1, 2, 3) and "髙﨑" not in plain.subject
    with_ids = extraction_sheet(result, DateStyle.WAREKI, with_address=True)
    assert "宛名番号" in [b for b in with_ids.blocks if isinstance(b, Table)][-1].columns
    assert "令和8年度に在籍する900人" in _text(plain)


def test_a_section_with_years_but_no_value_says_no_records_instead_of_an_empty_table(
        demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", MovingClock(datetime(2026, 12, 7)))
    try:
        pupil = lead.store.db.call(lambda c: int(c.execute(
            "SELECT pupil_id FROM ds_academic_results GROUP BY pupil_id LIMIT 1").fetchone()[0]))
        karte = lead.karte.open(pupil)
    finally:
        lead.sign_out()
    academic = next(c for c in karte.charts if c.key == "academic")
    assert academic.x  # the pupil has years on the chart's axis
    blank = replace(academic, series=tuple(
        replace(s, values=tuple(None for _ in s.values)) for s in academic.series))
    charts = tuple(blank if c is academic else c for c in karte.charts)
    doc = karte_sheet(replace(karte, charts=charts), {KarteSection.ACADEMIC}, DateStyle.WAREKI)
    assert not any(isinstance(b, Table) for b in doc.blocks)
    assert "学力の記録はありません。" in _text(doc)
    shown = karte_sheet(karte, {KarteSection.ACADEMIC}, DateStyle.WAREKI)
    assert any(isinstance(b, Table) for b in shown.blocks)
