"""Interchange files (clean and messy) and their ground truth."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from storage.registry import default_registry
from toda_desktop.demo import Cancelled, DemoCity, DemoConfig, InterchangeOutput, generate_city
from toda_desktop.demo import messy as messiness
from toda_desktop.demo import names as demo_names
from toda_desktop.demo import write_interchange_files as write
from toda_desktop.demo.dateformats import format_date
from toda_desktop.demo.rng import stream

from .helpers import name_key, norm, read_file, truth

REG = default_registry()
ID_COLUMNS = (
    "address_code",
    "school_code",
    "grade",
    "class_name",
    "seat_number",
    "pref_id",
    "google_account",
)


def _files(out: InterchangeOutput) -> pd.DataFrame:
    return truth(out, "files.csv")


def _headers(out: InterchangeOutput, file_name: str) -> list[str]:
    h = truth(out, "headers.csv")
    return h.loc[h["file"] == file_name, "key"].tolist()


def _read_keyed(out: InterchangeOutput, row: pd.Series) -> pd.DataFrame:
    """A written file with its columns renamed to registry keys (from headers.csv)."""
    frame = read_file(out, row["file"], row["encoding"] if row["format"] == "csv" else "")
    keys = _headers(out, row["file"])
    assert len(frame.columns) == len(keys)
    frame.columns = keys
    return frame


@pytest.mark.parametrize(
    ("iso", "fmt", "text"),
    [
        ("2022-04-01", "iso", "2022-04-01"),
        ("2022-04-01", "slash", "2022/4/1"),
        ("2022-04-01", "compact", "20220401"),
        ("2022-04-01", "wareki_kanji", "令和4年4月1日"),
        ("2022-04-01", "wareki_letter", "R4.4.1"),
        ("2022-04-01", "wareki_padded", "R04/04/01"),
        ("2019-04-30", "wareki_letter", "H31.4.30"),
        ("2019-04-30", "wareki_kanji", "平成31年4月30日"),
        ("2019-05-01", "wareki_kanji", "令和元年5月1日"),
        ("2019-05-01", "wareki_letter", "R1.5.1"),
    ],
)
def test_date_spellings(iso: str, fmt: str, text: str) -> None:
    assert format_date(iso, fmt) == text


def test_one_file_per_kind_or_year_and_truth_beside_them(
    small_city: DemoCity, clean_output: InterchangeOutput
) -> None:
    files = _files(clean_output)
    assert set(files["kind"]) == set(REG.names)
    assert {p.name for p in clean_output.files} == set(files["file"])
    assert clean_output.ground_truth_dir.name == "ground_truth"
    assert clean_output.ground_truth_dir.parent == clean_output.files[0].parent
    for p in clean_output.files:
        assert p.parent != clean_output.ground_truth_dir
    per_year = files[files["school_year"] != ""]
    assert set(per_year["kind"]) >= {"attendance_monthly", "survey_responses"}
    for kind, n in files.groupby("kind")["rows"].apply(lambda r: r.astype(int).sum()).items():
        assert n == len(small_city.frames[kind]), kind


def test_clean_files_are_canonical(small_city: DemoCity, clean_output: InterchangeOutput) -> None:
    files = _files(clean_output)
    rows = truth(clean_output, "rows.csv")
    for _, f in files.iterrows():
        raw = (clean_output.ground_truth_dir.parent / f["file"]).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
        kind = REG.kind(f["kind"])
        frame = read_file(clean_output, f["file"], "utf-8")
        keys = _headers(clean_output, f["file"])
        assert list(frame.columns) == [kind.column(k).label for k in keys]
        frame.columns = keys
        assert len(frame) == int(f["rows"])
        for k in keys:
            if kind.column(k).type == "date":
                filled = frame.loc[frame[k] != "", k]
                assert filled.str.match(r"^\d{4}-\d{2}-\d{2}$").all(), (f["file"], k)
        if kind.pupil:
            assert (frame["address_code"] != "").all(), f["file"]
            t = rows[rows["file"] == f["file"]]
            assert frame["address_code"].tolist() == t["address_code"].tolist()
    assert set(rows["id_pattern"]) == {"full"} and set(rows["flags"]) == {""}


def test_pupil_files_carry_references_as_their_senders_have_them(
    clean_output: InterchangeOutput,
) -> None:
    files = _files(clean_output)
    keys = {f: _headers(clean_output, f) for f in files["file"]}
    first = files.groupby("kind")["file"].first()
    assert "pref_id" in keys[first["academic_results"]]
    assert "google_account" in keys[first["survey_responses"]]
    assert "seat_number" in keys[first["attendance_monthly"]]
    assert keys[first["infant_checkups"]][0] == "address_code"


@pytest.mark.slow
def test_writing_leaves_the_city_unchanged(small_city: DemoCity, tmp_path: Path) -> None:
    city = generate_city(DemoConfig.small(seed=5))
    before = {k: v.copy(deep=True) for k, v in city.frames.items()}
    write(city, tmp_path, messy=True)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, city.frames[name])


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    city = generate_city(DemoConfig.small(seed=2))
    a = write(city, tmp_path / "a", messy=True)
    b = write(generate_city(DemoConfig.small(seed=2)), tmp_path / "b", messy=True)
    write(city, tmp_path / "c", messy=True, seed=99)
    names = sorted(p.name for p in a.files)
    assert names == sorted(p.name for p in b.files)
    clean_a = write(city, tmp_path / "ca", messy=False)
    write(city, tmp_path / "cb", messy=False)
    for p in clean_a.files:
        assert p.read_bytes() == (tmp_path / "cb" / p.name).read_bytes()
    for name in [*names, "ground_truth/rows.csv", "ground_truth/headers.csv"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert any(
        (tmp_path / "a" / n).read_bytes() != (tmp_path / "c" / n).read_bytes() for n in names
    )


def test_messy_encodings_are_what_the_truth_says(messy_output: InterchangeOutput) -> None:
    files = _files(messy_output)
    assert {"cp932", "utf-8-sig", "utf-8", "xlsx"} <= set(files["encoding"])
    for _, f in files.iterrows():
        raw = (messy_output.ground_truth_dir.parent / f["file"]).read_bytes()
        if f["encoding"] == "xlsx":
            assert zipfile.is_zipfile(messy_output.ground_truth_dir.parent / f["file"])
        elif f["encoding"] == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
        elif f["encoding"] == "utf-8":
            assert not raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
        else:
            assert f["encoding"] == "cp932"
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            raw.decode("cp932")
            assert b"\r\n" in raw  # as Excel writes it


def test_ground_truth_aligns_with_every_written_row(
    small_city: DemoCity, messy_output: InterchangeOutput
) -> None:
    files = _files(messy_output)
    rows = truth(messy_output, "rows.csv")
    for _, f in files.iterrows():
        kind = REG.kind(f["kind"])
        frame = _read_keyed(messy_output, f)
        t = rows[rows["file"] == f["file"]].reset_index(drop=True)
        assert len(frame) == len(t) == int(f["rows"]), f["file"]
        assert t["row"].astype(int).tolist() == list(range(1, len(t) + 1))
        if not kind.pupil:
            continue
        source = small_city.frames[kind.name].iloc[t["source_index"].astype(int)]
        assert source["address_code"].tolist() == t["address_code"].tolist()
        written = frame["address_code"].map(norm).str.zfill(10)
        has = frame["address_code"] != ""
        assert (written[has] == t.loc[has, "address_code"]).all(), f["file"]
        if "name" in frame.columns:
            names = small_city.frames["students"].set_index("address_code")["name"]
            true_keys = t["address_code"].map(names).map(name_key)
            lossy = t["flags"].str.contains("lossy_encoding")
            named = (frame["name"] != "") & ~lossy
            assert (frame.loc[named, "name"].map(name_key) == true_keys[named]).all(), f["file"]
        dup = t["flags"].str.contains("duplicate_exact")
        for i in t.index[dup]:
            assert frame.iloc[i].tolist() == frame.iloc[i - 1].tolist()
            assert t.at[i, "source_index"] == t.at[i - 1, "source_index"]


def test_about_ten_percent_of_rows_have_no_id_and_stay_matchable(
    messy_output: InterchangeOutput,
) -> None:
    files = _files(messy_output)
    rows = truth(messy_output, "rows.csv")
    ref_kinds = {
        "enrollments",
        "attendance_monthly",
        "health_room_visits",
        "academic_results",
        "survey_responses",
        "long_absence",
        "bullying_records",
        "consultations",
        "health_checkups",
    }
    sub = rows[rows["kind"].isin(ref_kinds)]
    share = (sub["id_pattern"] == "no_id").mean()
    assert 0.08 < share < 0.12
    assert set(sub.loc[sub["id_pattern"] == "no_id", "linkable"]) <= {"name", "ambiguous", "fuzzy"}
    with_id = sub.loc[sub["id_pattern"] != "no_id"]
    # Only a row whose single ID (県学調番号 or Googleアカウント) no enrollment row carries
    # cannot be linked, and the truth says so; it is rare.
    lost = with_id["linkable"] == "unknown_id"
    assert (with_id.loc[~lost, "linkable"] == "id").all()
    assert set(with_id.loc[lost, "id_pattern"]) <= {"pref_only", "google_only"}
    assert lost.mean() < 0.01
    assert {"key_only", "pref_only", "google_only", "no_address", "full"} <= set(sub["id_pattern"])
    for _, f in files[files["kind"].isin(ref_kinds)].iterrows():
        frame = _read_keyed(messy_output, f)
        t = rows[rows["file"] == f["file"]].reset_index(drop=True)
        ids = [c for c in ID_COLUMNS if c in frame.columns]
        if f["kind"] == "enrollments":
            ids = [c for c in ids if c in ("address_code", "pref_id", "google_account")]
        no_id = t["id_pattern"] == "no_id"
        assert (frame.loc[no_id, ids] == "").all().all(), f["file"]
        assert (frame.loc[no_id, "name"] != "").all() and (
            frame.loc[no_id, "birth_date"] != ""
        ).all()
        key_only = t["id_pattern"] == "key_only"
        if key_only.any():
            assert (frame.loc[key_only, "address_code"] == "").all()
            assert (frame.loc[key_only, ["school_code", "seat_number"]] != "").all().all()
            assert (frame.loc[key_only, "name"] == "").all()
        pref_only = t["id_pattern"] == "pref_only"
        if pref_only.any():
            only = [c for c in frame.columns if c in (*ID_COLUMNS, "name", "birth_date")]
            others = [c for c in only if c != "pref_id"]
            assert (frame.loc[pref_only, "pref_id"] != "").all()
            assert (frame.loc[pref_only, others] == "").all().all()
        # Every row keeps at least one way to find its pupil.
        refs = [c for c in (*ID_COLUMNS, "name") if c in frame.columns]
        assert (frame[refs] != "").any(axis=1).all(), f["file"]


def test_homonyms_without_id_are_marked_ambiguous(
    small_city: DemoCity, messy_output: InterchangeOutput
) -> None:
    rows = truth(messy_output, "rows.csv")
    pupils = small_city.truth["pupils"]
    homonyms = set(pupils.loc[pupils["homonym_of"].notna(), "address_code"])
    no_id = rows[rows["id_pattern"] == "no_id"]
    assert (no_id.loc[no_id["address_code"].isin(homonyms), "linkable"] == "ambiguous").all()


def test_messy_variants_are_present(messy_output: InterchangeOutput) -> None:
    rows = truth(messy_output, "rows.csv")
    flags = set(";".join(rows["flags"]).split(";")) - {""}
    assert {
        "name_space",
        "kana_hiragana",
        "kana_halfwidth",
        "kana_space",
        "fullwidth_digits",
        "date_mixed",
        "duplicate_exact",
        "duplicate_near",
    } <= flags
    headers = truth(messy_output, "headers.csv")
    labels = [
        REG.kind(k).column(c).label
        for k, c in zip(
            headers["file"].map(_files(messy_output).set_index("file")["kind"]),
            headers["key"],
            strict=True,
        )
    ]
    changed = (headers["header"] != pd.Series(labels)).mean()
    assert 0.15 < changed < 0.7
    formats = set(rows["date_format"])
    assert {"wareki_kanji", "wareki_letter", "wareki_padded", "slash", "compact", "iso"} <= formats
    files = _files(messy_output)
    text = "".join(
        (messy_output.ground_truth_dir.parent / f).read_bytes().decode(enc, errors="ignore")
        for f, enc in zip(files["file"], files["encoding"], strict=True)
        if enc != "xlsx"
    )
    for sample in ("令和", "平成", "H2", "R0", "０", "\u3000\u3000"):
        assert sample in text, sample
    assert any(ch in text for ch in "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜ")
    assert any(ch in text for ch in "ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞ")


def test_kanji_variants_are_swapped_in_some_rows() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    drawn = demo_names.draw_names(rng, rng.random(n) < 0.5, np.zeros(n, dtype=bool))
    names = drawn.name.astype(object)
    table = {"name": names.copy()}
    rows = messiness.Rows.plain(np.arange(n), "iso")
    messiness.apply_name_variants(table, rows, stream(1, "test"))
    swapped = rows.flags["name_kanji_variant"]
    assert swapped.sum() > 0
    assert all(a != b for a, b in zip(table["name"][swapped], names[swapped], strict=True))
    assert all(name_key(a) == name_key(b) for a, b in zip(table["name"], names, strict=True))
    changed = table["name"] != names
    assert set(np.flatnonzero(changed)) <= set(np.flatnonzero(swapped | rows.flags["name_space"]))


def test_excel_file_has_date_cells_and_serial_dates(messy_output: InterchangeOutput) -> None:
    files = _files(messy_output)
    xlsx = files[files["format"] == "xlsx"]
    assert len(xlsx) == 1
    path = messy_output.ground_truth_dir.parent / xlsx["file"].iloc[0]
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    keys = _headers(messy_output, xlsx["file"].iloc[0])
    rows = list(ws.iter_rows(min_row=2, max_row=30, values_only=True))
    birth = [r[keys.index("birth_date")] for r in rows if r[keys.index("birth_date")] is not None]
    assert birth and all(isinstance(v, int) and 35000 < v < 50000 for v in birth)
    dated = [r[0] for r in rows]
    assert all(hasattr(v, "year") for v in dated)


def test_writer_reports_progress_and_can_be_cancelled(small_city: DemoCity, tmp_path: Path) -> None:
    seen: list[float] = []
    write(small_city, tmp_path / "p", messy=False, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    calls = iter([False, False])
    with pytest.raises(Cancelled):
        write(small_city, tmp_path / "c", messy=True, cancel=lambda: next(calls, True))
