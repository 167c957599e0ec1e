"""The ``cases`` command line: import a case-meeting file, list and show — by role."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.cases.test_case_import import FIXTURE, FULL_WIDTH
from tests.search.helpers import demo_sessions
from toda_desktop.cli import main
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


@pytest.mark.slow
def test_the_lead_imports_a_file_and_each_role_lists_only_its_domains_cases(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    with demo_sessions(demo_store_path, ("project_lead",)) as signed:
        rows = signed["project_lead"].store.db.call(lambda c: c.execute(
            "SELECT s.address_code, e.school_code, e.grade, e.class_name, e.seat_number"
            " FROM ds_students s JOIN ds_enrollments e ON e.pupil_id = s.id"
            " WHERE e.school_year = (SELECT max(school_year) FROM ds_enrollments)"
            " ORDER BY s.id LIMIT 2").fetchall())
    body = FIXTURE.read_text(encoding="utf-8")
    for key, value in {"ADDR_FW": str(rows[0][0]).translate(FULL_WIDTH), "SCHOOL": rows[1][1],
                       "GRADE": rows[1][2], "CLASS": rows[1][3], "SEAT": rows[1][4]}.items():
        body = body.replace("{" + key + "}", str(value))
    file = tmp_path / "meetings.csv"
    file.write_bytes(body.encode("cp932"))
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    store = str(demo_store_path)

    code, text = _run("cases", "import", str(file), "--store", store, "--user",
                      DEMO_LOGINS["project_lead"][0], "--dry-run")
    assert code == 0 and "2件の会議の記録を取り込めます" in text
    code, text = _run("cases", "import", str(file), "--store", store, "--user",
                      DEMO_LOGINS["truancy_support"][0])
    assert code == 1 and "1行も記録していません" in text and "4行目" in text
    code, text = _run("cases", "import", str(file), "--store", store, "--user",
                      DEMO_LOGINS["project_lead"][0])
    assert code == 0 and "ケース会議の記録 2件を取り込みました" in text

    code, text = _run("cases", "list", "--store", store, "--user",
                      DEMO_LOGINS["truancy_support"][0])
    assert code == 0 and "truancy:" in text and "bullying:" not in text
    key = next(line.split("\t")[0] for line in text.splitlines() if line.startswith("truancy:"))
    code, text = _run("cases", "show", "--case", key, "--store", store, "--user",
                      DEMO_LOGINS["truancy_support"][0])
    assert code == 0 and "週2回の別室登校" in text and "児童相談所" in text
    code, text = _run("cases", "list", "--store", store, "--user",
                      DEMO_LOGINS["bullying_support"][0])
    assert "bullying:" in text and "truancy:" not in text
    code, text = _run("cases", "show", "--case", key, "--store", store, "--user",
                      DEMO_LOGINS["bullying_support"][0])
    assert code == 2 and "不登校のケースを扱う権限がありません" in capsys.readouterr().err
