"""Importing a case-meeting file: the product's reading rules, 名寄せ, all or nothing."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from toda_desktop.cases.model import AttendeeRole, CaseDomain, CaseSource
from toda_desktop.composition import SignedIn

FIXTURE = Path(__file__).parents[1] / "fixtures" / "files" / "case_meetings.csv"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture(scope="module")
def refs(sessions: dict[str, SignedIn]) -> dict[str, object]:
    """Two enrolled pupils of the latest year: one by 宛名番号, one by the enrollment key."""
    rows = sessions["project_lead"].store.db.call(lambda c: c.execute(
        "SELECT s.id, s.address_code, e.school_code, e.grade, e.class_name, e.seat_number"
        " FROM ds_students s JOIN ds_enrollments e ON e.pupil_id = s.id"
        " WHERE e.school_year = (SELECT max(school_year) FROM ds_enrollments)"
        " ORDER BY s.id LIMIT 2 OFFSET 10").fetchall())
    (a_id, a_code, *_), (b_id, _, school, grade, class_name, seat) = rows
    return {"a": a_id, "b": b_id, "ADDR_FW": str(a_code).translate(FULL_WIDTH),
            "SCHOOL": school, "GRADE": grade, "CLASS": class_name, "SEAT": seat}


def _write(tmp: Path, refs: dict[str, object], text: str | None = None,
           encoding: str = "cp932") -> Path:
    body = text if text is not None else FIXTURE.read_text(encoding="utf-8")
    for key, value in refs.items():
        body = body.replace("{" + key + "}", str(value))
    out = tmp / "ケース会議記録.csv"
    out.write_bytes(body.replace("\n", "\r\n").encode(encoding))
    return out


def test_a_real_shaped_cp932_file_is_imported_with_its_irregularities_kept_and_reported(
    sessions: dict[str, SignedIn], refs: dict[str, object], tmp_path: Path
) -> None:
    lead = sessions["project_lead"].cases
    report = lead.import_file(_write(tmp_path, refs))
    assert report.committed and report.errors == ()
    assert (report.rows, report.meetings) == (2, 2)
    text = "\n".join(report.warnings)
    assert "「備考」" in text and "3行目「期日２」" in text
    assert "3行目「参加者（役割）」: 役割が一覧にない出席者（1人）" in text
    assert "主任児童委員" not in text and "来週中" not in text  # no cell values

    truancy = [c for c in lead.list_cases(pupil_id=int(str(refs["a"])))
               if c.domain is CaseDomain.TRUANCY and c.source is CaseSource.IMPORT]
    assert len(truancy) == 1
    meeting = lead.read_case(truancy[0].key).meetings[-1]
    assert meeting.held_on.isoformat() == "2025-10-06"
    assert meeting.next_review is not None and meeting.next_review.isoformat() == "2025-11-17"
    assert [(a.role, a.name, a.organisation) for a in meeting.attendees] == [
        (AttendeeRole.HOMEROOM, "山田花子", ""), (AttendeeRole.SC, "佐藤", ""),
        (AttendeeRole.AGENCY, "田中", "児童相談所"), (AttendeeRole.OTHER, "鈴木", "主任児童委員")]
    assert [(a.what, a.owner, a.due and a.due.isoformat()) for a in meeting.actions] == [
        ("朝の電話連絡", "担任", "2025-10-20"), ("家庭訪問", "SSW", None)]
    assert dict(meeting.unknown) == {"期日２": "来週中", "備考": "保護者同席"}
    assert meeting.short_goal == "週2回の別室登校"

    bullying = [c for c in lead.list_cases(pupil_id=int(str(refs["b"])))
                if c.domain is CaseDomain.BULLYING]
    second = lead.read_case(bullying[0].key).meetings[-1]
    assert second.held_on.isoformat() == "2025-11-04"
    assert [a.role for a in second.attendees] == [AttendeeRole.MANAGEMENT,
                                                   AttendeeRole.HOMEROOM]
    assert second.next_review is not None and second.next_review.isoformat() == "2025-12-16"


def test_a_file_with_an_unknown_pupil_is_refused_whole_with_the_row_in_japanese(
    sessions: dict[str, SignedIn], refs: dict[str, object], tmp_path: Path
) -> None:
    lead = sessions["project_lead"].cases
    before = len(lead.list_cases(statuses=()))
    bad = dict(refs, ADDR_FW="９９９９９９９９")
    report = lead.import_file(_write(tmp_path, bad))
    assert not report.committed
    assert any(e.startswith("3行目: 児童生徒を特定できません") for e in report.errors)
    assert len(lead.list_cases(statuses=())) == before  # not even the good row


def test_a_role_without_a_domains_key_cannot_import_into_it(
    sessions: dict[str, SignedIn], refs: dict[str, object], tmp_path: Path
) -> None:
    report = sessions["truancy_support"].cases.import_file(_write(tmp_path, refs))
    assert not report.committed
    assert any("いじめのケース" in e and "4行目" in e for e in report.errors)


def test_an_xlsx_file_and_a_dry_run_write_nothing_and_report_the_same(
    sessions: dict[str, SignedIn], refs: dict[str, object], tmp_path: Path
) -> None:
    # other dates than the first test's import: those meetings are recorded, and an import
    # leaves out a row whose meeting is already recorded
    text = _write(tmp_path, refs).read_bytes().decode("cp932")
    text = text.replace("令和7年10月6日", "令和7年10月7日").replace("２０２５/１１/４",
                                                                  "２０２５/１１/５")
    lines = [line.split(",") for line in text.splitlines()]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in lines:
        sheet.append(line)
    path = tmp_path / "ケース会議.xlsx"
    book.save(path)
    lead = sessions["project_lead"].cases
    before = len(lead.list_cases(statuses=()))
    report = lead.import_file(path, dry_run=True)
    assert report.errors == () and report.meetings == 2 and not report.committed
    assert len(lead.list_cases(statuses=())) == before


def test_without_a_domain_column_the_domain_must_be_given(
    sessions: dict[str, SignedIn], refs: dict[str, object], tmp_path: Path
) -> None:
    text = "宛名番号,開催日,本人の願い\n{ADDR_FW},R7.12.1,話を聞いてほしい\n"
    lead = sessions["project_lead"].cases
    refused = lead.import_file(_write(tmp_path, refs, text))
    assert not refused.committed and "領域" in refused.errors[0]
    done = lead.import_file(_write(tmp_path, refs, text, "utf-8-sig"),
                            domain=CaseDomain.CONSULTATION)
    assert done.committed and done.meetings == 1
