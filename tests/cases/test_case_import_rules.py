"""Case-meeting import rules found by QA: a file imported again adds only its new rows,
attendee forms with a middle dot or an organisation not in the list, due dates before the
meeting, the row and header of a 領域 the role may not record, and the command line's output."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cases.conftest import one
from toda_desktop.cases.importer import parse_attendees
from toda_desktop.cases.model import AttendeeRole, CaseDomain
from toda_desktop.cli_cases import summary_line, write_case, write_import
from toda_desktop.composition import SignedIn

HEADER = "宛名番号,領域,開催日,会議名,出席者,手立て1,期日1,備考\n"


@pytest.fixture(scope="module")
def address(sessions: dict[str, SignedIn]) -> str:
    """The 宛名番号 of an enrolled pupil of the latest year with none of the demo's cases."""
    return str(one(sessions["project_lead"],
                   "SELECT s.address_code FROM ds_students s JOIN ds_enrollments e"
                   " ON e.pupil_id = s.id WHERE e.school_year ="
                   " (SELECT max(school_year) FROM ds_enrollments) AND s.id NOT IN ("
                   "  SELECT pupil_id FROM g_truancy.case_files UNION"
                   "  SELECT pupil_id FROM g_bullying.case_files UNION"
                   "  SELECT pupil_id FROM g_consultation_truancy.case_files)"
                   " ORDER BY s.id LIMIT 1 OFFSET 3"))


def _file(tmp: Path, name: str, lines: list[str]) -> Path:
    path = tmp / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8-sig")
    return path


def _pupil_meetings(signed: SignedIn, address: str) -> tuple[int, int]:
    """(recorded meetings, actions) of the pupil's truancy cases."""
    where = (" JOIN g_truancy.case_files c ON c.id = x.case_id JOIN ds_students s"
             f" ON s.id = c.pupil_id WHERE s.address_code = '{address}'")
    return (one(signed, "SELECT count(*) FROM g_truancy.case_meetings x" + where
                + " AND x.status = 'recorded'"),
            one(signed, "SELECT count(*) FROM g_truancy.case_actions x" + where))


def test_a_file_imported_again_adds_only_its_new_rows_and_warns_each_row_left_out(
    sessions: dict[str, SignedIn], address: str, tmp_path: Path
) -> None:
    lead = sessions["project_lead"]
    rows = [f"{address},不登校,令和7年9月1日,ケース会議,担任：山田,家庭訪問,R7.9.30,",
            f"{address},不登校支援,令和7年9月15日,,担任：山田,電話連絡,R7.10.15,"]
    first = lead.cases.import_file(_file(tmp_path, "a.csv", rows))
    assert first.committed and (first.meetings, first.skipped) == (2, 0)
    assert _pupil_meetings(lead, address) == (2, 2)

    check = lead.cases.import_file(_file(tmp_path, "a.csv", rows), dry_run=True)
    assert (check.meetings, check.skipped, check.new_cases) == (0, 2, 0)
    again = lead.cases.import_file(_file(tmp_path, "a.csv", rows))
    assert again.committed and (again.meetings, again.skipped) == (0, 2)
    for row in (2, 3):
        assert any(w.startswith(f"{row}行目: ") and "既にあるため、取り込みませんでした" in w
                   for w in again.warnings)
    assert _pupil_meetings(lead, address) == (2, 2)

    # the school's running sheet with a new row: the same day but another kind of meeting
    grown = lead.cases.import_file(_file(tmp_path, "a.csv", [
        *rows, f"{address},不登校,２０２５/９/１,支援会議,担任：山田,別室の準備,,"]))
    assert grown.committed and (grown.meetings, grown.skipped, grown.cases_opened) == (1, 2, 0)
    assert _pupil_meetings(lead, address) == (3, 3)
    out = io.StringIO()
    write_import(grown, out)
    assert "同じ会議が既に記録されている2行は取り込みませんでした" in out.getvalue()


def test_the_same_meeting_twice_in_one_file_is_taken_once_and_the_later_row_warned(
    sessions: dict[str, SignedIn], address: str, tmp_path: Path
) -> None:
    line = f"{address},不登校,令和7年8月20日,ケース会議,担任：山田,,,"
    report = sessions["project_lead"].cases.import_file(
        _file(tmp_path, "b.csv", [line, line]), dry_run=True)
    assert (report.meetings, report.skipped) == (1, 1)
    assert any(w.startswith("3行目: 2行目と同じ") for w in report.warnings)


@pytest.mark.parametrize(("text", "expected"), [
    ("担任・山田", (AttendeeRole.HOMEROOM, "山田", "")),
    ("担任･山田", (AttendeeRole.HOMEROOM, "山田", "")),
    ("担任·山田", (AttendeeRole.HOMEROOM, "山田", "")),
    ("養護教諭・伊藤", (AttendeeRole.NURSE, "伊藤", "")),
    ("生徒指導・教育相談担当・伊藤", (AttendeeRole.COORDINATOR, "伊藤", "")),
    ("生徒指導・教育相談担当", (AttendeeRole.COORDINATOR, "", "")),
    ("子ども家庭課（田中）", (AttendeeRole.AGENCY, "田中", "子ども家庭課")),
    ("こども発達センター(佐藤)", (AttendeeRole.AGENCY, "佐藤", "こども発達センター")),
    ("戸田中央病院（木村）", (AttendeeRole.AGENCY, "木村", "戸田中央病院")),
    ("田中（子ども家庭課）", (AttendeeRole.AGENCY, "田中", "子ども家庭課")),
    ("子ども家庭課・田中", (AttendeeRole.AGENCY, "田中", "子ども家庭課")),
    ("児童相談所（田中）", (AttendeeRole.AGENCY, "田中", "児童相談所")),
    ("鈴木一郎（SSW）", (AttendeeRole.SSW, "鈴木一郎", "")),
    ("担任：山田花子", (AttendeeRole.HOMEROOM, "山田花子", "")),
    ("SC 佐藤", (AttendeeRole.SC, "佐藤", "")),
    ("校長", (AttendeeRole.MANAGEMENT, "", "")),
    ("マリア・ロドリゲス", (AttendeeRole.OTHER, "マリア・ロドリゲス", "")),
])
def test_each_attendee_form_gives_its_role_name_and_organisation(
    text: str, expected: tuple[AttendeeRole, str, str]
) -> None:
    (attendee,), unknown = parse_attendees(text)
    assert (attendee.role, attendee.name, attendee.organisation) == expected
    assert unknown == []


def test_a_role_not_in_the_list_is_still_kept_as_other_and_reported() -> None:
    attendees, unknown = parse_attendees("主任児童委員：鈴木／鈴木（主任児童委員）")
    assert [(a.role, a.name, a.organisation) for a in attendees] == [
        (AttendeeRole.OTHER, "鈴木", "主任児童委員")] * 2
    assert unknown == ["主任児童委員"] * 2


def test_a_due_date_before_the_meeting_is_kept_and_warned_with_row_and_header(
    sessions: dict[str, SignedIn], address: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "c.csv", [f"{address},不登校,令和7年7月10日,振り返り会議,,"
                                     "家庭訪問,R7.7.1,"])
    report = sessions["project_lead"].cases.import_file(path, dry_run=True)
    assert report.errors == () and report.meetings == 1
    assert any(w.startswith("2行目「期日1」: 期限が開催日より前") for w in report.warnings)


def test_a_domain_the_role_may_not_record_is_refused_with_its_row_and_header(
    sessions: dict[str, SignedIn], address: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "d.csv", [f"{address},いじめ,令和7年10月1日,,,,,"])
    report = sessions["truancy_support"].cases.import_file(path)
    assert not report.committed
    assert report.errors == ("2行目「領域」: いじめのケースを記録する権限がないか、"
                             "鍵をお持ちでありません。",)


def test_the_command_line_shows_a_meetings_other_items_and_a_junior_high_class(
    sessions: dict[str, SignedIn], address: str, tmp_path: Path
) -> None:
    lead = sessions["project_lead"].cases
    path = _file(tmp_path, "e.csv", [f"{address},教育相談,令和7年6月2日,,,,,母と面談済"])
    assert lead.import_file(path).committed
    case = next(c for c in lead.list_cases(domain=CaseDomain.CONSULTATION)
                if c.source_ref == "e.csv")
    out = io.StringIO()
    write_case(lead.read_case(case.key), out)
    assert "その他の項目: 備考: 母と面談済" in out.getvalue()
    line = summary_line(replace(case, school_name="東中学校", grade=8, class_name="1"))
    assert "\t東中学校 2年1組\t" in line and "8年" not in line
