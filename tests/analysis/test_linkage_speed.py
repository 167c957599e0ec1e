"""The shortcuts that make 名寄せ fast on large files do not change a single outcome.

link_rows reduces a file to its distinct descriptions before normalizing, decides ID links
per pattern, and normalizes only the part of the master the ID pass needs. A row's outcome
must be the same whether it is linked alone or among 12 copies of itself and other rows.
"""

from __future__ import annotations

import pandas as pd

from analysis.linkage import OUTPUT_COLUMNS, link_rows, row_fingerprints

PUPILS = pd.DataFrame(
    [
        (1, "00000101", "髙橋　太郎", "タカハシ タロウ", "2014-05-01", "男"),
        (2, "00000102", "斎藤　花子", "サイトウ ハナコ", "2014-06-01", "女"),
        (3, "00000103", "山田　一郎", "ヤマダ イチロウ", "2015-01-01", "男"),
        (4, "00000104", "山田　二郎", "ヤマダ ジロウ", "2015-01-01", "男"),
        (5, "00000105", "佐藤　優", "サトウ ユウ", "2014-07-07", "女"),
        (6, "00000105", "佐藤　優", "サトウ ユウ", "2014-07-07", "女"),  # shared 宛名番号
    ],
    columns=["pupil_id", "address_code", "name", "name_kana", "birth_date", "sex"],
)
ENROLLMENTS = pd.DataFrame({
    "pupil_id": [1, 2, 3, 4, 5, 6],
    "school_year": 2024,
    "school_code": "101",
    "grade": [3, 3, 2, 2, 3, 3],
    "class_name": ["1", "1", "2", "2", "1", "2"],
    "seat_number": [1, 2, 3, 4, 5, 6],
    "pref_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    "google_account": ["s1@x.jp", "s2@x.jp", "s3@x.jp", "s4@x.jp", "s5@x.jp", "s6@x.jp"],
})

ROWS = [
    {"address_code": "00000101", "school_year": 2024},  # ID alone
    {"address_code": "０００００１０２", "school_year": "2024"},  # full width, year as text
    {"address_code": "00000103", "school_year": 2024, "birth_date": "2014-05-01",
     "sex": "女"},  # ID whose birth date and sex disagree → review
    {"address_code": "00000105", "school_year": 2024},  # ID of two pupils → review
    {"address_code": "00000999", "school_year": 2024},  # unknown ID, nothing else → rejected
    {"address_code": None, "school_year": 2024},  # nothing to link by
    {"address_code": "00000104", "pref_id": "P3", "school_year": 2024},  # IDs disagree
    {"address_code": "00000101", "pref_id": "P1", "google_account": "S1@X.JP"},  # all agree
    {"name": "山田 二郎", "birth_date": "2015/1/1", "sex": "男"},  # scored
    {"address_code": "00000999", "name": "斉藤 花子", "birth_date": "2014-06-01"},
    {"school_year": 2024, "school_code": "101", "grade": "3年", "class_name": "1組",
     "seat_number": "2"},  # enrollment key
    {"school_year": 2024, "school_code": "101", "grade": 3},  # partial key
]


def outcome(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [
        (None if pd.isna(r.pupil_id) else int(r.pupil_id), r.method, r.score, r.reason,
         tuple(r.candidates), r.fingerprint)
        for r in frame.itertuples()
    ]


def test_each_row_links_as_it_would_alone_among_repeats_and_other_rows() -> None:
    alone = [outcome(link_rows(pd.DataFrame([row]), PUPILS, ENROLLMENTS))[0] for row in ROWS]
    repeated = pd.DataFrame([row for row in ROWS for _ in range(12)],
                            index=range(100, 100 + 12 * len(ROWS)))
    together = link_rows(repeated, PUPILS, ENROLLMENTS)
    assert list(together.columns) == list(OUTPUT_COLUMNS)
    assert list(together.index) == list(repeated.index)
    assert outcome(together) == [o for o in alone for _ in range(12)]


def test_a_file_linked_by_address_code_alone_gets_the_usual_reasons() -> None:
    rows = pd.DataFrame([ROWS[0], ROWS[2], ROWS[3], ROWS[4]] * 3)
    out = link_rows(rows, PUPILS, ENROLLMENTS)
    assert out["method"].tolist()[:4] == ["address_code", "review", "review", "rejected"]
    assert out["reason"].iloc[0] == "宛名番号で照合しました。"
    assert "生年月日と性別が一致しません" in out["reason"].iloc[1]
    assert [c.pupil_id for c in out["candidates"].iloc[1]] == [3]
    assert "複数の児童生徒" in out["reason"].iloc[2]
    assert out["reason"].iloc[3].startswith("宛名番号が台帳に見つからず")


def test_fingerprints_of_repeated_rows_equal_those_of_single_rows() -> None:
    single = [row_fingerprints(pd.DataFrame([row]), "src").iloc[0] for row in ROWS]
    repeated = row_fingerprints(pd.DataFrame([row for row in ROWS for _ in range(3)]), "src")
    assert repeated.tolist() == [f for f in single for _ in range(3)]
