"""名寄せ on a small hand-made population: IDs, variants, twins, homonyms, conflicts."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analysis.common import Cancelled
from analysis.linkage import (
    OUTPUT_COLUMNS,
    Candidate,
    LinkageConfig,
    evaluate_links,
    link_rows,
    masked_backtest,
    row_fingerprints,
)

PUPILS = pd.DataFrame(
    [
        (1, "00000101", "髙橋　太郎", "タカハシ タロウ", "2014-05-01", "男"),
        (2, "00000102", "斎藤　花子", "サイトウ ハナコ", "2014-06-01", "女"),
        (3, "00000103", "山田　一郎", "ヤマダ イチロウ", "2015-01-01", "男"),  # twins
        (4, "00000104", "山田　二郎", "ヤマダ ジロウ", "2015-01-01", "男"),
        (5, "00000105", "佐藤　優", "サトウ ユウ", "2014-07-07", "女"),  # homonyms
        (6, "00000106", "佐藤　優", "サトウ ユウ", "2014-07-07", "女"),
        (7, "00000107", "山﨑　美咲", "ヤマサキ ミサキ", "2013-09-09", "女"),
        (8, "00000108", "鈴木　健", "スズキ ケン", "2013-10-10", "男"),
        (9, "", "グエン　ヴァン", "グエン ヴァン", "2016-02-02", "男"),
    ],
    columns=["pupil_id", "address_code", "name", "name_kana", "birth_date", "sex"],
)
PUPILS["birth_date"] = pd.to_datetime(PUPILS["birth_date"])
ENROLLMENTS = pd.DataFrame(
    {
        "pupil_id": range(1, 10),
        "school_year": 2022,
        "school_code": ["101"] * 6 + ["102"] * 3,
        "grade": [3, 3, 2, 2, 3, 3, 4, 4, 1],
        "class_name": ["1", "1", "2", "2", "1", "2", "1", "1", "1"],
        "seat_number": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "pref_id": [f"P{i:03d}" for i in range(1, 10)],
        "google_account": [f"s{i}@toda.ed.jp" for i in range(1, 10)],
    }
)


def link(*rows: dict[str, object], **kw: object) -> pd.DataFrame:
    return link_rows(pd.DataFrame(list(rows)), PUPILS, ENROLLMENTS, **kw)  # type: ignore[arg-type]


def one(**row: object) -> pd.Series:
    return link(row).iloc[0]


def ids(cands: tuple[Candidate, ...]) -> list[int]:
    return [c.pupil_id for c in cands]


# ----------------------------------------------------------------------- scored matching


def test_same_character_variant_links_automatically() -> None:
    r = one(name="高橋 太郎", name_kana="ﾀｶﾊｼ ﾀﾛｳ", birth_date="H26.5.1", sex="男")
    assert (r.pupil_id, r.method) == (1, "name_match")
    r = one(name="山崎 美咲", birth_date="2013/9/9", sex="女")
    assert (r.pupil_id, r.method) == (7, "name_match")


def test_confusable_kanji_goes_to_review_with_the_right_candidate() -> None:
    r = one(name="斉藤 花子", name_kana="さいとう はなこ", birth_date="2014-06-01", sex="女")
    assert r.method == "review" and pd.isna(r.pupil_id)
    assert ids(r.candidates)[0] == 2
    assert "似た字" in r.candidates[0].evidence and "斎/斉" in r.reason


def test_twins_with_different_names_link_each_to_the_right_child() -> None:
    out = link(
        {"name": "山田 一郎", "birth_date": "2015-01-01", "sex": "男"},
        {"name": "山田　二郎", "name_kana": "ヤマダ ジロウ", "birth_date": "2015/1/1"},
    )
    assert out["pupil_id"].tolist() == [3, 4]
    assert out["method"].tolist() == ["name_match", "name_match"]


def test_homonyms_are_never_linked_without_an_id() -> None:
    r = one(name="佐藤 優", name_kana="サトウ ユウ", birth_date="2014-07-07", sex="女")
    assert r.method == "review" and sorted(ids(r.candidates)) == [5, 6]
    assert "複数" in r.reason
    r = one(address_code="00000106", name="佐藤 優", birth_date="2014-07-07")
    assert (r.pupil_id, r.method) == (6, "address_code")


def test_kana_or_sex_conflict_prevents_an_automatic_link() -> None:
    r = one(name="鈴木 健", name_kana="スズキ タケシ", birth_date="2013-10-10", sex="男")
    assert r.method == "review" and ids(r.candidates)[0] == 8 and "カナ" in r.reason
    r = one(name="鈴木 健", birth_date="2013-10-10", sex="女")
    assert r.method in ("review", "rejected") and "性別" in r.reason


def test_school_of_the_year_is_context() -> None:
    r = one(name="鈴木 健", birth_date="2013-10-10", school_year=2022, school_code="101")
    assert r.method == "review" and "在籍校" in r.reason
    r = one(name="鈴木 健", birth_date="2013-10-10", school_year=2022, school_code="102")
    assert r.method == "name_match" and "在籍校一致" in r.candidates[0].evidence


def test_name_without_birth_date_is_reviewed_or_rejected_never_linked() -> None:
    r = one(name="鈴木 健", sex="男", school_year=2022, school_code="102")
    assert r.method == "review" and ids(r.candidates) == [8]
    r = one(name="鈴木 健")
    assert r.method == "rejected" and ids(r.candidates) == [8]
    assert "生年月日" in r.reason


def test_unknown_people_and_empty_rows_are_rejected_with_a_reason() -> None:
    out = link({"name": "田中 次郎", "birth_date": "2012-12-12"}, {}, {"sex": "男"})
    assert out["method"].tolist() == ["rejected"] * 3
    assert "見つかりません" in out["reason"].iloc[0]
    assert "照合に使える情報" in out["reason"].iloc[1]
    assert out["reason"].iloc[2] == out["reason"].iloc[1]


def test_characters_lost_in_shift_jis_are_wildcards_for_review_never_for_a_link() -> None:
    pupils = pd.concat([PUPILS, pd.DataFrame([{
        "pupil_id": 10, "address_code": "00000110", "name": "𠮷田　紗奈",
        "name_kana": "ヨシダ サナ", "birth_date": pd.Timestamp("2014-08-08"), "sex": "女"}])],
        ignore_index=True)
    rows = pd.DataFrame([{"name": "?田 紗奈", "birth_date": "2014-08-08"},
                         {"address_code": "00000110", "name": "〓田 紗奈"}])
    out = link_rows(rows, pupils, ENROLLMENTS)
    assert out["method"].tolist() == ["review", "address_code"]
    assert ids(out["candidates"].iloc[0])[0] == 10
    assert "?" in out["reason"].iloc[0]


def test_foreign_name_in_katakana_and_a_pupil_without_address_code() -> None:
    r = one(name="グエン ヴァン", name_kana="ぐえん ゔぁん", birth_date="2016-02-02")
    assert (r.pupil_id, r.method) == (9, "name_match")


# --------------------------------------------------------------------- deterministic IDs


def test_each_id_links_on_its_own() -> None:
    out = link(
        {"address_code": "００００01０1"},
        {"school_year": "令和4年度", "school_code": "101", "grade": "3", "class_name": "1組",
         "seat_number": "２"},
        {"pref_id": "P003"},
        {"google_account": "S4@Toda.ed.jp"},
    )
    assert out["pupil_id"].tolist() == [1, 2, 3, 4]
    assert out["method"].tolist() == ["address_code", "enrollment_key", "pref_id",
                                      "google_account"]
    assert (out["score"] == 100).all()


def test_agreeing_ids_link_and_say_so() -> None:
    r = one(address_code="00000105", pref_id="P005", google_account="unknown@toda.ed.jp")
    assert (r.pupil_id, r.method) == (5, "address_code")
    assert "県学調番号も一致" in r.reason and "Googleアカウントは台帳になし" in r.reason


def test_conflicting_ids_go_to_review_with_each_pupil() -> None:
    r = one(address_code="00000101", pref_id="P002", name="髙橋 太郎")
    assert r.method == "review" and pd.isna(r.pupil_id)
    assert {1, 2} <= set(ids(r.candidates))
    assert "別々" in r.reason


def test_an_id_contradicted_by_the_name_is_not_trusted() -> None:
    r = one(address_code="00000103", name="佐藤 優", birth_date="2014-07-07")
    assert r.method == "review" and 3 in ids(r.candidates) and "氏名が一致しません" in r.reason


def test_an_id_with_a_birth_date_typo_still_links_with_a_note() -> None:
    r = one(address_code="00000108", name="鈴木 健", birth_date="2013-10-11")
    assert (r.pupil_id, r.method) == (8, "address_code")
    assert "生年月日が台帳と異なります" in r.reason


def test_an_unknown_address_code_blocks_a_name_link_to_a_pupil_with_another_code() -> None:
    r = one(address_code="99999999", name="鈴木 健", name_kana="スズキ ケン",
            birth_date="2013-10-10", sex="男")
    assert r.method == "review" and ids(r.candidates)[0] == 8 and "ID" in r.reason
    r = one(address_code="00000108".lstrip("0"), name="鈴木 健", birth_date="2013-10-10")
    assert r.method == "review"  # lost leading zeros are not guessed


def test_an_id_used_by_two_pupils_in_the_master_is_a_conflict() -> None:
    pupils = pd.concat([PUPILS, PUPILS.iloc[[0]].assign(pupil_id=10)], ignore_index=True)
    out = link_rows(pd.DataFrame([{"address_code": "00000101"}]), pupils, ENROLLMENTS)
    assert out["method"].iloc[0] == "review" and "複数" in out["reason"].iloc[0]


# ------------------------------------------------------------------ decisions, fingerprints


def test_remembered_decisions_are_applied_first() -> None:
    rows = pd.DataFrame([
        {"name": "佐藤 優", "birth_date": "2014-07-07", "sex": "女"},
        {"name": "田中 次郎", "birth_date": "2012-12-12"},
        {"name": "斉藤 花子", "birth_date": "2014-06-01"},
    ])
    first = link_rows(rows, PUPILS, ENROLLMENTS, source="school-101")
    assert first["method"].tolist() == ["review", "rejected", "review"]
    decisions = {first["fingerprint"].iloc[0]: 6, first["fingerprint"].iloc[1]: None,
                 first["fingerprint"].iloc[2]: 999}  # 999: pupil no longer in the master
    again = link_rows(rows, PUPILS, ENROLLMENTS, source="school-101", decisions=decisions)
    assert again["pupil_id"].iloc[0] == 6 and again["method"].iloc[0] == "decision"
    assert again["method"].iloc[1] == "rejected" and "確認者" in again["reason"].iloc[1]
    assert again["method"].iloc[2] == "review"
    other_source = link_rows(rows, PUPILS, ENROLLMENTS, source="school-102",
                             decisions=decisions)
    assert other_source["method"].iloc[0] == "review"


def test_fingerprints_are_stable_and_ignore_width_and_variant_spelling() -> None:
    a = row_fingerprints(pd.DataFrame([{"name": "髙橋　太郎", "birth_date": "H26.5.1"}]))
    b = row_fingerprints(pd.DataFrame([{"name": "高橋 太郎", "birth_date": "2014-05-01"}]))
    c = row_fingerprints(pd.DataFrame([{"name": "高橋 太郎", "birth_date": "2014-05-02"}]))
    assert a.iloc[0] == b.iloc[0] != c.iloc[0]
    assert len(a.iloc[0]) == 32


# ------------------------------------------------------------------------- output, reasons


def test_output_shape_index_and_repeated_rows() -> None:
    rows = pd.DataFrame(
        [{"address_code": "00000101", "month": m} for m in range(4, 10)]
        + [{"name": "山田 一郎", "birth_date": "2015-01-01"}] * 3,
        index=pd.Index(range(2, 11), name="row"),
    )
    out = link_rows(rows, PUPILS, ENROLLMENTS)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert out.index.equals(rows.index)
    assert str(out["pupil_id"].dtype) == "Int64"
    assert out["pupil_id"].tolist() == [1] * 6 + [3] * 3
    assert out["fingerprint"].nunique() == 2


def test_reasons_never_contain_pupil_data() -> None:
    rows = [
        {"name": "斉藤 花子", "birth_date": "2014-06-01"},
        {"address_code": "00000101", "pref_id": "P002"},
        {"address_code": "99999999", "name": "鈴木 健", "birth_date": "2013-10-10"},
        {"name": "佐藤 優", "birth_date": "2014-07-07"},
        {"address_code": "00000103", "name": "佐藤 優"},
    ]
    out = link(*rows)
    texts = " ".join(out["reason"]) + " ".join(c.evidence for cs in out["candidates"] for c in cs)
    for value in [*PUPILS["name"], *PUPILS["name_kana"], *PUPILS["address_code"][:8],
                  "斉藤", "佐藤", "2014", "P002", "99999999"]:
        for part in str(value).replace("\u3000", " ").split():
            assert part not in texts, part


def test_progress_and_cancel() -> None:
    seen: list[float] = []
    link({"name": "鈴木 健", "birth_date": "2013-10-10"}, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        link({"name": "鈴木 健"}, cancel=lambda: True)


def test_works_without_enrollments() -> None:
    out = link_rows(pd.DataFrame([{"name": "鈴木 健", "birth_date": "2013-10-10"},
                                  {"pref_id": "P001"}]), PUPILS, pd.DataFrame())
    assert out["method"].tolist() == ["name_match", "rejected"]


def test_thresholds_are_configurable() -> None:
    strict = LinkageConfig(review_min=200)
    r = link({"name": "斉藤 花子", "birth_date": "2014-06-01"}, config=strict).iloc[0]
    assert r.method == "rejected"


# ----------------------------------------------------------------- synthetic population

FAMILY = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("髙橋", "タカハシ"),
          ("田中", "タナカ"), ("渡辺", "ワタナベ"), ("渡邉", "ワタナベ"), ("斎藤", "サイトウ"),
          ("齋藤", "サイトウ"), ("斉藤", "サイトウ"), ("山崎", "ヤマザキ"), ("山﨑", "ヤマザキ"),
          ("島田", "シマダ"), ("嶋田", "シマダ"), ("吉田", "ヨシダ"), ("𠮷田", "ヨシダ")]
GIVEN = {"男": [("蓮", "レン"), ("陽翔", "ハルト"), ("湊", "ミナト"), ("大翔", "ヒロト"),
                ("悠真", "ユウマ"), ("龍之介", "リュウノスケ"), ("竜之介", "リュウノスケ")],
         "女": [("陽葵", "ヒマリ"), ("凛", "リン"), ("結菜", "ユイナ"), ("芽依", "メイ"),
                ("恭子", "キョウコ"), ("澪", "ミオ")]}
STRICT_SWAP = str.maketrans({"髙": "高", "﨑": "崎", "邉": "辺", "齋": "斎", "𠮷": "吉"})


def population(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    fam = rng.integers(0, len(FAMILY), n)
    sex = rng.choice(["男", "女"], n)
    names, kana = [], []
    for f, s in zip(fam, sex, strict=True):
        g = GIVEN[s][rng.integers(0, len(GIVEN[s]))]
        names.append(f"{FAMILY[f][0]}\u3000{g[0]}")
        kana.append(f"{FAMILY[f][1]} {g[1]}")
    birth = pd.Timestamp("2010-04-02") + pd.to_timedelta(rng.integers(0, 365 * 9, n), unit="D")
    pupils = pd.DataFrame({"pupil_id": np.arange(1, n + 1),
                           "address_code": [f"{i:08d}" for i in range(1, n + 1)],
                           "name": names, "name_kana": kana, "birth_date": birth, "sex": sex})
    enroll = pd.DataFrame({"pupil_id": pupils["pupil_id"], "school_year": 2022,
                           "school_code": (101 + pupils["pupil_id"] % 18).astype(str)})
    return pupils, enroll


def messy_rows(pupils: pd.DataFrame, enroll: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    """Rows as schools send them: variant kanji replaced, half-width or hiragana kana, 和暦,
    missing kana or sex, IDs on some rows only."""
    rng = np.random.default_rng(seed)
    n = len(pupils)
    name = pupils["name"].str.translate(STRICT_SWAP).where(rng.random(n) < 0.7, pupils["name"])
    name = name.str.replace("\u3000", " ").where(rng.random(n) < 0.5, name)
    kana = pupils["name_kana"].where(rng.random(n) < 0.7, None)
    birth = pupils["birth_date"].dt.strftime("%Y/%-m/%-d")
    return pd.DataFrame({
        "address_code": pupils["address_code"].where(rng.random(n) < 0.3, None),
        "school_year": 2022, "school_code": enroll["school_code"],
        "name": name, "name_kana": kana, "birth_date": birth,
        "sex": pupils["sex"].where(rng.random(n) < 0.8, None),
    })


def test_no_wrong_automatic_link_on_a_harsh_synthetic_population() -> None:
    pupils, enroll = population(3000)
    rows = messy_rows(pupils, enroll)
    result = link_rows(rows, pupils, enroll)
    ev = evaluate_links(result, pupils["pupil_id"])
    assert ev.wrong == 0, ev.details.head()
    assert ev.review_recall == 1.0
    assert ev.rejected == 0
    assert ev.automation > 0.9, ev.summary()


def test_masked_backtest_measures_name_matching_precision() -> None:
    pupils, enroll = population(3000)
    rows = messy_rows(pupils, enroll).assign(address_code=pupils["address_code"])
    ev = masked_backtest(rows, pupils, enroll)
    assert ev.rows == 3000  # every row had an ID, so every row is in the test
    assert ev.wrong == 0 and ev.precision == 1.0
    assert ev.automation > 0.9
    assert "適合率" in ev.summary()


KANJI = [("山", "ヤマ"), ("田", "タ"), ("川", "カワ"), ("中", "ナカ"), ("村", "ムラ"),
         ("木", "キ"), ("本", "モト"), ("井", "イ"), ("石", "イシ"), ("松", "マツ"),
         ("小", "コ"), ("林", "バヤシ"), ("森", "モリ"), ("池", "イケ"), ("野", "ノ"),
         ("原", "ハラ"), ("髙", "タカ"), ("﨑", "サキ"), ("藤", "フジ"), ("島", "シマ"),
         ("岡", "オカ"), ("橋", "ハシ"), ("崎", "サキ"), ("宮", "ミヤ"), ("上", "カミ")]
GIVEN_PARTS = [("陽", "ハル"), ("結", "ユイ"), ("蒼", "アオ"), ("美", "ミ"), ("咲", "サキ"),
               ("翔", "ショウ"), ("真", "マ"), ("奈", "ナ"), ("大", "ダイ"), ("優", "ユウ"),
               ("花", "ハナ"), ("太", "タ"), ("郎", "ロウ"), ("子", "コ"), ("菜", "ナ"),
               ("悠", "ユウ"), ("莉", "リ"), ("一", "イチ"), ("心", "ココ"), ("朗", "ロウ"),
               ("葵", "アオイ"), ("凛", "リン"), ("健", "ケン"), ("翼", "ツバサ"),
               ("彩", "アヤ"), ("颯", "ハヤ"), ("愛", "アイ"), ("琴", "コト"), ("湊", "ミナト"),
               ("蓮", "レン")]


def diverse_population(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Many distinct names (625 families × 900 given names, Zipf-like), like a real city."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(KANJI) ** 2 + 1)
    fam = rng.choice(len(KANJI) ** 2, n, p=weights / weights.sum())
    given = rng.integers(0, len(GIVEN_PARTS) ** 2, (n,))
    k, g = len(KANJI), len(GIVEN_PARTS)
    names = [f"{KANJI[f // k][0]}{KANJI[f % k][0]}　{GIVEN_PARTS[x // g][0]}"
             f"{GIVEN_PARTS[x % g][0]}" for f, x in zip(fam, given, strict=True)]
    kana = [f"{KANJI[f // k][1]}{KANJI[f % k][1]} {GIVEN_PARTS[x // g][1]}"
            f"{GIVEN_PARTS[x % g][1]}" for f, x in zip(fam, given, strict=True)]
    birth = pd.Timestamp("2010-04-02") + pd.to_timedelta(rng.integers(0, 365 * 9, n), unit="D")
    pupils = pd.DataFrame({"pupil_id": np.arange(1, n + 1),
                           "address_code": [f"{i:08d}" for i in range(1, n + 1)],
                           "name": names, "name_kana": kana, "birth_date": birth,
                           "sex": rng.choice(["男", "女"], n)})
    enroll = pd.DataFrame({"pupil_id": pupils["pupil_id"], "school_year": 2022,
                           "school_code": (101 + pupils["pupil_id"] % 18).astype(str)})
    return pupils, enroll


@pytest.mark.slow
def test_linking_100k_rows_against_100k_pupils_is_fast() -> None:
    pupils, enroll = diverse_population(100_000, seed=3)
    rows = messy_rows(pupils, enroll, seed=4).assign(address_code=None)
    start = time.perf_counter()
    result = link_rows(rows, pupils, enroll)
    elapsed = time.perf_counter() - start
    ev = evaluate_links(result, pupils["pupil_id"])
    print(f"\n100k x 100k linked by name in {elapsed:.1f} s: {ev.summary()}")
    assert ev.wrong == 0
    assert ev.automation > 0.9
    assert elapsed < 60


def test_a_very_common_name_does_not_blow_up_the_candidate_pairs() -> None:
    n = 2000
    pupils = pd.DataFrame({"pupil_id": np.arange(1, n + 1), "address_code": "",
                           "name": "佐藤　陽翔", "name_kana": "サトウ ハルト",
                           "birth_date": pd.Timestamp("2010-04-02")
                           + pd.to_timedelta(np.arange(n) % 3000, unit="D"), "sex": "男"})
    enroll = pd.DataFrame({"pupil_id": pupils["pupil_id"]})
    rows = pupils[["name", "name_kana", "birth_date"]].iloc[:500]
    out = link_rows(rows, pupils, enroll, config=LinkageConfig(max_block=100))
    assert (out["pupil_id"] == pupils["pupil_id"].iloc[:500].to_numpy()).all()
