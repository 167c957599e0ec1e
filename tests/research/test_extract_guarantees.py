"""The research extract's guarantees, checked the way the receiving side reads it (DuckDB).

A real demo city, real accounts and passwords, real files: k-anonymity of the pupil table,
no small published cell and no suppressed cell recoverable from the totals, pseudonyms per
project, and no name, kana, birth date or ID anywhere in the bytes written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.research.helpers import COLUMNS, lead, make, one

QUASI = "school_year, school, grade, sex, birth"


def q(sql: str) -> list[tuple[object, ...]]:
    """The rows DuckDB answers (an in-memory database, as a researcher's would be)."""
    with duckdb.connect() as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def extract(demo_store_path: Path, tmp_path: Path) -> tuple[Path, ...]:
    signed = lead(demo_store_path)
    try:
        return make(signed, "不登校研究", tmp_path / "out").files
    finally:
        signed.sign_out()


def test_duckdb_finds_no_quasi_identifier_class_under_ten_pupils(extract: tuple[Path, ...]
                                                                 ) -> None:
    pupils = one(extract, "_pupils.parquet")
    small = q(f"SELECT {QUASI}, count(*) FROM '{pupils}' GROUP BY {QUASI}"
                       " HAVING count(*) < 10")
    assert small == []
    total = q(f"SELECT count(*), count(DISTINCT pseudonym) FROM '{pupils}'")[0]
    assert total is not None and total[0] > 100


def test_each_pupil_appears_once_a_year_in_the_pupil_table(extract: tuple[Path, ...]) -> None:
    pupils = one(extract, "_pupils.parquet")
    twice = q(f"SELECT pseudonym, school_year FROM '{pupils}'"
                       " GROUP BY ALL HAVING count(*) > 1")
    assert twice == []


def test_the_kind_tables_hold_only_published_pupil_years(extract: tuple[Path, ...]) -> None:
    pupils = one(extract, "_pupils.parquet")
    for kind in {k for k, _ in COLUMNS}:
        table = one(extract, f"_{kind}.parquet")
        stray = q(
            f"SELECT count(*) FROM '{table}' t ANTI JOIN '{pupils}' p"
            " USING (pseudonym, school_year)")[0]
        assert stray == (0,), kind
        assert q(f"SELECT count(*) FROM '{table}'")[0][0] > 0


def test_no_published_aggregate_cell_counts_one_to_nine_pupils(extract: tuple[Path, ...]
                                                              ) -> None:
    tables = [f for f in extract if "_table_" in f.name and f.suffix == ".parquet"]
    assert len(tables) == 1 + len({k for k, _ in COLUMNS})
    for table in tables:
        small = q(f"SELECT * FROM '{table}' WHERE pupils BETWEEN 1 AND 9")
        assert small == [], table.name
        hidden = q(f"SELECT count(*) FROM '{table}' WHERE suppressed"
                            " AND pupils IS NULL")[0]
        flagged = q(f"SELECT count(*) FROM '{table}' WHERE suppressed")[0]
        assert hidden == flagged


def test_no_suppressed_cell_equals_a_line_total_minus_its_published_cells(
    extract: tuple[Path, ...],
) -> None:
    """Each row (a school) and column (a grade) with its 合計: a line with one suppressed
    entry would give it away; the receiving side cannot find one."""
    for table in (f for f in extract if "_table_" in f.name and f.suffix == ".parquet"):
        for by, across in (("school", "grade"), ("grade", "school")):
            lone = q(
                f"SELECT school_year, {by}, count(*) FILTER (WHERE suppressed) AS hidden"
                f" FROM '{table}' GROUP BY school_year, {by} HAVING hidden = 1")
            assert lone == [], (table.name, across)
        # And the suppressed pattern is real: something was suppressed in the pupil table.
    pupils_table = one(extract, "_table_pupils.parquet")
    assert q(f"SELECT count(*) FROM '{pupils_table}' WHERE suppressed"
                      )[0][0] > 0


def test_the_published_totals_add_up_where_nothing_is_suppressed(extract: tuple[Path, ...]
                                                                ) -> None:
    table = one(extract, "_table_pupils.parquet")
    rows = q(
        f"SELECT school_year, school, sum(pupils) FILTER (WHERE grade != '合計'),"
        f" max(pupils) FILTER (WHERE grade = '合計'), bool_or(suppressed) FROM '{table}'"
        " GROUP BY ALL")
    checked = [r for r in rows if not r[4]]
    assert checked and all(r[2] == r[3] for r in checked)


def test_the_csv_files_hold_the_same_rows_as_the_parquet(extract: tuple[Path, ...]) -> None:
    for parquet in (f for f in extract if f.suffix == ".parquet"):
        csv = parquet.with_suffix(".csv")
        a = q(f"SELECT count(*) FROM '{parquet}'")[0]
        b = q(f"SELECT count(*) FROM read_csv('{csv}', header = true)")[0]
        assert a == b, parquet.name


def test_the_dictionary_gives_japanese_labels_the_step_and_the_suppression_counts(
    extract: tuple[Path, ...],
) -> None:
    text = one(extract, "_dictionary.md").read_text(encoding="utf-8")
    for words in ("欠席日数", "保健室利用", "k-匿名性（k = 10）", "採用した段階", "一次秘匿",
                  "補完秘匿", "利用目的", "承認者: demo-lead", "仮名加工情報"):
        assert words in text


@pytest.mark.slow
def test_no_name_kana_birth_date_or_id_appears_in_any_output_byte(
    demo_store_path: Path, tmp_path: Path,
) -> None:
    signed = lead(demo_store_path)
    try:
        written = make(signed, "全項目", tmp_path / "out",
                       tuple((v.kind, v.column) for v in signed.research.variables()))
        people = signed.store.db.read(lambda c: list(c.execute(
            "SELECT s.name, s.name_kana, s.birth_date, s.address_code, e.pref_id,"
            " e.google_account FROM ds_students s JOIN ds_enrollments e"
            " ON e.pupil_id = s.id")))
    finally:
        signed.sign_out()
    blob = b"".join(f.read_bytes() for f in written.files)
    text = blob.decode("utf-8", errors="replace")
    assert len(people) > 100
    needles: set[str] = set()
    for name, kana, birth, address, pref, google in people:
        needles |= {name, kana, name.replace("\u3000", ""), kana.replace(" ", ""), birth,
                    birth.replace("-", ""), address}
        needles |= {v for v in (pref, google) if v}
    found = sorted(n for n in needles if n and (n in text or n.encode() in blob))
    assert found == []
