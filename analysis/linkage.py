"""名寄せ: linking the rows of a file to pupils of the master, pure on DataFrames.

Order of work, per distinct person description in the file (an attendance file repeats each
pupil twelve times; each description is linked once):

1. **Remembered decisions**: a reviewer's earlier decision for the same description
   (:func:`row_fingerprints`) links (or rejects) it first.
2. **Deterministic IDs**: 宛名番号 (address_code), the enrollment key (年度+学校+学年+組+出席番号),
   県学調番号 (pref_id), Googleアカウント. When several are present they must point to the same
   pupil, otherwise the row goes to review with each pupil as a candidate. An ID link is
   checked against the name / birth date / sex the row also carries: a name that matches
   neither in kanji (strict or loose) nor in kana, or both birth date and sex differing,
   sends the row to review (a mistyped ID must not attach a record to another child).
3. **Scored matching** on the strict name key, kana, birth date and sex, with the row's
   school and year as context; candidates come from blocks on birth date, strict and loose
   name key and kana key (fast on 100k × 100k). Automatic link only when: strict kanji name
   and birth date agree; sex, kana, school of that year and the row's other IDs do not
   conflict; no other pupil shares that name and birth date (twins, homonyms); and no other
   candidate scores within ``auto_margin``. A loose variant (斎/斉, 嶋/島 …) raises the score
   but never links automatically. A best score at or above ``review_min`` → review queue
   with the candidates and their evidence; below → rejected with the reason.

Output (one row per input row, same index): ``pupil_id`` (Int64, missing unless linked),
``method`` (decision / address_code / enrollment_key / pref_id / google_account / name_match /
review / rejected), ``score`` (0..100), ``candidates`` (tuple of :class:`Candidate`, best
first), ``reason`` (Japanese; names no pupil data) and ``fingerprint``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import CancelFn, ProgressFn, Steps, unique_map
from analysis.names import (
    family_key,
    given_key,
    kana_key,
    loose_kana_key,
    loose_name_key,
    name_key,
)
from analysis.values import (
    parse_date_text,
    parse_grade_text,
    parse_school_year_text,
)
from kernel.school_calendar import school_year_of

ID_METHODS = ("address_code", "enrollment_key", "pref_id", "google_account")
LINKED_METHODS = ("decision", *ID_METHODS, "name_match")
METHODS = (*LINKED_METHODS, "review", "rejected")
REF_COLUMNS = (
    "address_code", "school_year", "school_code", "grade", "class_name", "seat_number",
    "pref_id", "google_account", "name", "name_kana", "birth_date", "sex",
)
JUNIOR_HIGH = "中学校"  # the 校種 whose grades are written 1–3 or 7–9
ENROLLMENT_KEY = ("school_year", "school_code", "grade", "class_name", "seat_number")
OUTPUT_COLUMNS = ("pupil_id", "method", "score", "candidates", "reason", "fingerprint")
_ID_LABELS = {
    "address_code": "宛名番号",
    "enrollment_key": "在籍キー（年度・学校・学年・組・出席番号）",
    "pref_id": "県学調番号",
    "google_account": "Googleアカウント",
}


@dataclass(frozen=True)
class Candidate:
    """A pupil a row may refer to, with the score and the evidence (Japanese, no values)."""

    pupil_id: int
    score: float
    evidence: str


@dataclass(frozen=True)
class LinkageConfig:
    """Weights (points of a 0..100 score) and the thresholds of the decision."""

    name: float = 40.0
    name_loose: float = 25.0
    given_only: float = 10.0
    birth: float = 35.0
    birth_near: float = 10.0
    kana: float = 15.0
    kana_loose: float = 10.0
    kana_conflict: float = -20.0
    sex: float = 5.0
    sex_conflict: float = -30.0
    school: float = 5.0
    school_conflict: float = -10.0
    auto_margin: float = 30.0
    review_min: float = 45.0
    candidate_min: float = 20.0
    max_candidates: int = 5
    # A name or kana key shared by more pupils than this is not used as a block (its holders
    # are still found through the birth-date block): keeps pathological files fast.
    max_block: int = 500


# --------------------------------------------------------------------------------------------
# Normalization of the reference columns (all to strings; "" = missing)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _norm_code(text: str) -> str:
    return re.sub(r"\s+", "", _nfkc(text))


def _norm_int(text: str) -> str:
    s = _nfkc(text)
    m = re.match(r"^(\d+)(?:\.0+)?$", s)
    return str(int(m.group(1))) if m else ""


def _norm_year(text: str) -> str:
    try:
        return str(parse_school_year_text(text)) if text.strip() else ""
    except ValueError:
        return ""


def _school_year_of_text(text: str) -> str:
    iso = _norm_date(text)
    return str(school_year_of(date.fromisoformat(iso))) if iso else ""


def _norm_grade(text: str) -> str:
    try:
        return str(parse_grade_text(text)) if text.strip() else ""
    except ValueError:
        return _norm_int(text)


def _norm_class(text: str) -> str:
    s = re.sub(r"\s+", "", _nfkc(text))
    s = re.sub(r"^\d+年", "", s)
    s = re.sub(r"組$", "", s)
    return str(int(s)) if s.isdigit() else s.casefold()


def _norm_date(text: str) -> str:
    if not text.strip():
        return ""
    try:
        return parse_date_text(text).isoformat()
    except ValueError:
        return ""


def _norm_sex(text: str) -> str:
    s = _nfkc(text)
    return s[0] if s[:1] in ("男", "女") else ""


def _norm_email(text: str) -> str:
    return _nfkc(text).lower()


def _to_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_NORMALIZERS = {
    "address_code": _norm_code,
    "school_year": _norm_year,
    "school_code": _norm_code,
    "grade": _norm_grade,
    "class_name": _norm_class,
    "seat_number": _norm_int,
    "pref_id": _norm_code,
    "google_account": _norm_email,
    "birth_date": _norm_date,
    "sex": _norm_sex,
}


def _column_text(frame: pd.DataFrame, key: str) -> pd.Series:
    if key not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    col = frame[key]
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    texts = np.array([_to_text(u) for u in uniques] + [""], dtype=object)
    codes = np.where(codes < 0, len(texts) - 1, codes)
    return pd.Series(texts[codes], index=frame.index, dtype=object)


def _normalized(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Reference columns as normalized strings, plus the name and kana keys."""
    out: dict[str, pd.Series] = {}
    for key in keys:
        text = _column_text(frame, key)
        if key == "name":
            out["skey"] = unique_map(text, name_key)
            out["lkey"] = unique_map(text, loose_name_key)
            out["gkey"] = unique_map(text, given_key)
            out["fkey"] = unique_map(text, family_key)
        elif key == "name_kana":
            out["kkey"] = unique_map(text, kana_key)
            out["lkkey"] = unique_map(text, loose_kana_key)
        else:
            out[key] = unique_map(text, _NORMALIZERS.get(key, _nfkc))
    return pd.DataFrame(out, index=frame.index)


_IDENTITY = (
    "address_code", "school_year", "school_code", "grade", "class_name", "seat_number",
    "pref_id", "google_account", "skey", "kkey", "birth_date", "sex",
)


def _fingerprints(norm: pd.DataFrame, source: str) -> npt.NDArray[np.object_]:
    parts = [norm[k].to_numpy(dtype=object) for k in _IDENTITY]
    out = np.empty(len(norm), dtype=object)
    for i, values in enumerate(zip(*parts, strict=True)):
        text = "\x1f".join([source, *[f"{k}={v}" for k, v in zip(_IDENTITY, values, strict=True)]])
        out[i] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return out


def row_fingerprints(rows: pd.DataFrame, source: str = "") -> pd.Series:
    """A stable fingerprint of each row's person description (IDs, name key, kana key, birth
    date, sex, school/year/class/seat), for remembering a reviewer's decision. ``source``
    (e.g. the sending school) makes a decision apply to that source only."""
    u, codes = _descriptions(rows, None)
    fps = _fingerprints(u, source)
    return pd.Series(fps[codes], index=rows.index, dtype=object)


def _distinct_rows(
    rows: pd.DataFrame, columns: Sequence[str]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(code per row, position of each code's first row): rows with equal values in
    ``columns`` share a code, numbered in order of first appearance. Missing values are
    equal to each other (as :func:`_column_text` treats them)."""
    combined = np.zeros(len(rows), dtype=np.int64)
    for col in columns:
        if col not in rows.columns:
            continue
        codes, uniques = pd.factorize(rows[col], use_na_sentinel=True)
        combined = combined * (len(uniques) + 1) + (codes.astype(np.int64) + 1)
        combined, _ = pd.factorize(combined)  # renumber: keeps the product small
    keys, _ = pd.factorize(combined)
    _, first = np.unique(keys, return_index=True)  # keys run 0, 1, … by first appearance
    return keys.astype(np.intp), first.astype(np.intp)


def _descriptions(
    rows: pd.DataFrame, event_date: str | None
) -> tuple[pd.DataFrame, npt.NDArray[np.intp]]:
    """The distinct normalized person descriptions (``u``) and the one of each row.

    Rows are first reduced to their distinct raw values (an attendance file repeats each pupil
    and year twelve times), so normalizing and hashing work on those only; descriptions that
    normalize alike are then merged. Both steps number in order of first appearance.
    """
    columns = [*REF_COLUMNS, *([event_date] if event_date is not None else [])]
    raw_codes, raw_first = _distinct_rows(rows, columns)
    distinct = rows.iloc[raw_first]
    norm = _normalized(distinct, REF_COLUMNS)
    if event_date is not None and event_date in rows.columns:
        derived = unique_map(_column_text(distinct, event_date), _school_year_of_text)
        norm["school_year"] = norm["school_year"].where(norm["school_year"] != "", derived)
    h = pd.util.hash_pandas_object(norm[list(_IDENTITY)], index=False)
    codes, _ = pd.factorize(h)
    first = pd.Series(np.arange(len(norm))).groupby(codes).first().to_numpy()
    u = norm.iloc[first].reset_index(drop=True)
    return u, np.asarray(codes[raw_codes], dtype=np.intp)


# --------------------------------------------------------------------------------------------
# The reference population


@dataclass(frozen=True)
class _Reference:
    pupils: pd.DataFrame  # normalized, index = position; column pupil_id
    pos_of: pd.Series  # pupil_id → position
    enroll: pd.DataFrame  # normalized enrollments with pupil_id
    homonyms: npt.NDArray[np.int64]  # per pupil position: pupils sharing (skey, birth_date)
    has_pref: npt.NDArray[np.bool_]
    has_google: npt.NDArray[np.bool_]
    junior_high: frozenset[str] = frozenset()  # normalized codes of the 中学校 (grades 7–9)


_ENROLLMENT_REF = ("school_year", "school_code", "grade", "class_name", "seat_number",
                   "pref_id", "google_account")
_ALL_REFERENCE = frozenset({"address_code", "name", "name_kana", "birth_date", "sex",
                            *_ENROLLMENT_REF})


def _needs(u: pd.DataFrame) -> frozenset[str]:
    """The reference columns the ID pass can use for these rows: the pupils' names only when
    rows carry a name or kana, the enrollment key only when some row has all its parts, an
    ID only when some row has it. Columns nobody asks for cannot change the ID pass."""
    need = {"address_code", "birth_date", "sex"}
    if bool(((u["skey"] != "") | (u["kkey"] != "")).any()):
        need |= {"name", "name_kana"}
    complete = np.ones(len(u), dtype=bool)
    for k in ENROLLMENT_KEY:
        complete &= (u[k] != "").to_numpy()
    if complete.any():
        need |= set(ENROLLMENT_KEY)
    need |= {k for k in ("pref_id", "google_account") if bool((u[k] != "").any())}
    return frozenset(need)


def _reference(
    pupils: pd.DataFrame, enrollments: pd.DataFrame, need: frozenset[str] | None = None
) -> _Reference:
    """The master and enrollments normalized. With ``need`` (see :func:`_needs`) only those
    columns are normalized and the others left empty: normalizing every name and account of
    the city is the costly part, and a file linked by 宛名番号 alone needs none of it."""
    if "pupil_id" not in enrollments.columns:
        enrollments = pd.DataFrame({"pupil_id": pd.Series([], dtype=np.int64)})
    person = ("address_code", "name", "name_kana", "birth_date", "sex")
    p = _normalized(pupils, [k for k in person if need is None or k in need])
    for key in ("address_code", "skey", "lkey", "gkey", "fkey", "kkey", "lkkey", "birth_date",
                "sex"):
        if key not in p.columns:
            p[key] = ""
    p.insert(0, "pupil_id", pupils["pupil_id"].to_numpy(dtype=np.int64))
    p = p.reset_index(drop=True)
    pos_of = pd.Series(np.arange(len(p)), index=p["pupil_id"].to_numpy())
    pos_of = pos_of[~pos_of.index.duplicated()]
    e = _normalized(enrollments, [k for k in _ENROLLMENT_REF if need is None or k in need])
    for key in _ENROLLMENT_REF:
        if key not in e.columns:
            e[key] = ""
    e.insert(0, "pupil_id", enrollments["pupil_id"].to_numpy(dtype=np.int64))
    e = e.reset_index(drop=True)
    junior = _junior_high_schools(enrollments)
    junior_grades(e, junior)
    named = (p["skey"] != "") & (p["birth_date"] != "")
    counts = p[named].groupby(["skey", "birth_date"])["pupil_id"].transform("size")
    homonyms = np.ones(len(p), dtype=np.int64)
    homonyms[np.flatnonzero(named.to_numpy())] = counts.to_numpy()
    pref_pupils = set(e.loc[e["pref_id"] != "", "pupil_id"].tolist())
    google_pupils = set(e.loc[e["google_account"] != "", "pupil_id"].tolist())
    ids = p["pupil_id"].to_numpy()
    return _Reference(
        pupils=p, pos_of=pos_of, enroll=e, homonyms=homonyms,
        has_pref=np.array([i in pref_pupils for i in ids], dtype=bool),
        has_google=np.array([i in google_pupils for i in ids], dtype=bool),
        junior_high=junior,
    )


def _junior_high_schools(enrollments: pd.DataFrame) -> frozenset[str]:
    """The codes of the schools whose 校種 (column ``school_type``, when given) is 中学校."""
    if "school_type" not in enrollments.columns or "school_code" not in enrollments.columns:
        return frozenset()
    junior = enrollments["school_type"].map(lambda t: _nfkc(str(t or "")) == JUNIOR_HIGH)
    codes = _column_text(enrollments.loc[junior.to_numpy(dtype=bool)], "school_code")
    return frozenset(unique_map(codes, _norm_code).tolist()) - {""}


def junior_grades(norm: pd.DataFrame, junior_high: frozenset[str]) -> None:
    """Junior-high grades written 1–3 (学年 2 at a 中学校) as 7–9 (中2 = 8), in place, on
    both sides of the comparison: schools write a 中学校's grades either way, and the register
    may hold either, so each is reconciled where the school (hence its 校種) is known."""
    if not junior_high or "grade" not in norm.columns or "school_code" not in norm.columns:
        return
    at = norm["school_code"].isin(junior_high) & norm["grade"].isin(("1", "2", "3"))
    if at.any():
        norm.loc[at, "grade"] = norm.loc[at, "grade"].map(lambda g: str(int(g) + 6))


def _lookup(table: pd.DataFrame, key: pd.Series, values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(first pupil_id, number of distinct pupils) per key value, as maps."""
    sub = pd.DataFrame({"k": key, "pid": values})
    sub = sub[sub["k"] != ""]
    g = sub.groupby("k")["pid"]
    return g.first(), g.nunique()


# --------------------------------------------------------------------------------------------
# Linking


@dataclass
class _State:
    """Per distinct description (index = uid): the outcome being built."""

    n: int
    pupil_id: npt.NDArray[np.float64]
    method: npt.NDArray[np.object_]
    score: npt.NDArray[np.float64]
    reason: npt.NDArray[np.object_]
    candidates: list[tuple[Candidate, ...]]
    done: npt.NDArray[np.bool_]

    @classmethod
    def new(cls, n: int) -> _State:
        return cls(
            n=n,
            pupil_id=np.full(n, np.nan),
            method=np.full(n, "rejected", dtype=object),
            score=np.zeros(n),
            reason=np.full(n, "", dtype=object),
            candidates=[() for _ in range(n)],
            done=np.zeros(n, dtype=bool),
        )


def link_rows(
    rows: pd.DataFrame,
    pupils: pd.DataFrame,
    enrollments: pd.DataFrame,
    *,
    decisions: Mapping[str, int | None] | None = None,
    source: str = "",
    event_date: str | None = None,
    config: LinkageConfig | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> pd.DataFrame:
    """Link each row to a pupil, send it to review, or reject it (see the module docstring).

    ``event_date`` names a date column of ``rows`` (e.g. visit_date) whose school year
    (April–March) stands in for a missing 年度, so 学校+学年+組+出席番号 still form the
    enrollment key and the school of that year is known as context.

    ``rows`` holds any of :data:`REF_COLUMNS` (typed or text). ``pupils``: pupil_id,
    address_code, name, name_kana, birth_date, sex. ``enrollments``: pupil_id, school_year,
    school_code, grade, class_name, seat_number, pref_id, google_account (missing columns are
    treated as empty). ``decisions``: fingerprint → pupil_id, or None for "no such pupil".
    Returns a DataFrame with :data:`OUTPUT_COLUMNS`, indexed like ``rows``.
    """
    cfg = config or LinkageConfig()
    steps = Steps(progress, cancel)
    steps.report(0.0)
    u, codes = _descriptions(rows, event_date)
    fps = _fingerprints(u, source)
    steps.report(0.1)
    # The reference is normalized only as far as the ID pass needs it; scored matching (rows
    # the IDs left open) gets all of it.
    need = _needs(u)
    ref = _reference(pupils, enrollments, need)
    junior_grades(u, ref.junior_high)
    steps.report(0.2)
    state = _State.new(len(u))

    _apply_decisions(u, fps, decisions or {}, ref, state)
    ids = _deterministic(u, ref, state)
    if not state.done.all() and not need >= _ALL_REFERENCE:
        ref = _reference(pupils, enrollments)
    steps.report(0.35)
    _scored(u, ref, state, ids, cfg, steps.part(0.35, 0.95))

    pid = pd.array(state.pupil_id[codes], dtype="Float64").astype("Int64")
    cand = np.empty(state.n, dtype=object)
    cand[:] = state.candidates
    out = pd.DataFrame(
        {
            "pupil_id": pid,
            "method": state.method[codes],
            "score": np.round(state.score[codes], 1),
            "candidates": cand[codes],
            "reason": state.reason[codes],
            "fingerprint": fps[codes],
        },
        index=rows.index,
    )
    steps.report(1.0)
    return out


def _apply_decisions(
    u: pd.DataFrame,
    fps: npt.NDArray[np.object_],
    decisions: Mapping[str, int | None],
    ref: _Reference,
    state: _State,
) -> None:
    if not decisions:
        return
    for i, fp in enumerate(fps):
        if fp not in decisions:
            continue
        target = decisions[fp]
        if target is None:
            state.done[i] = True
            state.method[i] = "rejected"
            state.reason[i] = "確認者が「該当する児童生徒なし」と判断した行です。"
        elif int(target) in ref.pos_of.index:
            state.done[i] = True
            state.pupil_id[i] = int(target)
            state.method[i] = "decision"
            state.score[i] = 100.0
            state.reason[i] = "以前の確認結果に従って照合しました。"
        # A decision naming a pupil no longer in the master is ignored.


@dataclass
class _IdOutcome:
    """What the ID pass leaves for the scoring pass (keys are uids)."""

    review: dict[int, str]  # must go to review, with this reason
    candidates: dict[int, list[int]]  # pupils the row's IDs point to (shown in review)
    unknown: dict[int, list[str]]  # ID kinds present in the row but not in the master


def _deterministic(u: pd.DataFrame, ref: _Reference, state: _State) -> _IdOutcome:
    """Link by IDs; what cannot be linked safely is described for the scoring pass."""
    p, e = ref.pupils, ref.enroll
    found = np.full((len(u), 4), np.nan)
    ambiguous = np.zeros((len(u), 4), dtype=bool)
    present = np.zeros((len(u), 4), dtype=bool)

    first, n = _lookup(p, p["address_code"], p["pupil_id"])
    present[:, 0] = (u["address_code"] != "").to_numpy()
    found[:, 0] = u["address_code"].map(first).to_numpy(dtype=float, na_value=np.nan)
    ambiguous[:, 0] = u["address_code"].map(n).fillna(0).to_numpy() > 1

    def enrollment_key(frame: pd.DataFrame) -> pd.Series:
        complete = np.ones(len(frame), dtype=bool)
        joined = np.full(len(frame), "", dtype=object)
        for k in ENROLLMENT_KEY:
            part = frame[k].to_numpy(dtype=object)
            complete &= part != ""
            joined = joined + "|" + part
        return pd.Series(np.where(complete, joined, ""), index=frame.index, dtype=object)

    ukey = enrollment_key(u)
    first, n = _lookup(e, enrollment_key(e), e["pupil_id"])
    present[:, 1] = (ukey != "").to_numpy()
    found[:, 1] = ukey.map(first).to_numpy(dtype=float, na_value=np.nan)
    ambiguous[:, 1] = ukey.map(n).fillna(0).to_numpy() > 1

    for j, key in ((2, "pref_id"), (3, "google_account")):
        first, n = _lookup(e, e[key], e["pupil_id"])
        present[:, j] = (u[key] != "").to_numpy()
        found[:, j] = u[key].map(first).to_numpy(dtype=float, na_value=np.nan)
        ambiguous[:, j] = u[key].map(n).fillna(0).to_numpy() > 1

    review: dict[int, str] = {}
    lo = np.nanmin(np.where(np.isnan(found), np.inf, found), axis=1)
    hi = np.nanmax(np.where(np.isnan(found), -np.inf, found), axis=1)
    any_found = np.isfinite(lo)
    conflict = any_found & (lo != hi)
    amb: npt.NDArray[np.bool_] = np.asarray(ambiguous.any(axis=1), dtype=bool)
    for i in np.flatnonzero((conflict | amb) & ~state.done).tolist():
        if amb[i]:
            which = [ID_METHODS[j] for j in range(4) if ambiguous[i, j]]
            review[int(i)] = (
                f"{'・'.join(_ID_LABELS[w] for w in which)}が台帳で複数の児童生徒に使われています。"
                "どの児童生徒か確認してください。"
            )
        else:
            which = [ID_METHODS[j] for j in range(4) if not np.isnan(found[i, j])]
            review[int(i)] = (
                f"{'・'.join(_ID_LABELS[w] for w in which)}が別々の児童生徒を指しています。"
                "どれが正しいか確認してください。"
            )
    # The pupils the IDs point to are offered as candidates in review.
    out = _IdOutcome(
        review=review,
        candidates={i: sorted({int(x) for x in found[i] if not np.isnan(x)}) for i in review},
        unknown={},
    )

    single = any_found & ~conflict & ~amb & ~state.done
    idx = np.flatnonzero(single)
    if len(idx):
        pid = lo[idx].astype(np.int64)
        pos_f = ref.pos_of.reindex(pid).to_numpy(dtype=float)
        known = ~np.isnan(pos_f)
        pos = np.where(known, pos_f, 0).astype(np.int64)
        check = _Checks(u, p, idx, pos)
        name_bad = check.name_disagrees()
        birth_bad = check.differs("birth_date")
        sex_bad = check.differs("sex")
        # The outcome depends only on which IDs were found or missing and which checks
        # failed: decided once per pattern, then given to all its rows at once.
        bits = np.arange(4)
        pattern = (
            (~np.isnan(found[idx]) * (1 << bits)).sum(axis=1)
            + ((present[idx] & np.isnan(found[idx])) * (1 << (bits + 4))).sum(axis=1)
            + (birth_bad.astype(np.int64) << 8) + (sex_bad.astype(np.int64) << 9)
            + (name_bad.astype(np.int64) << 10) + ((~known).astype(np.int64) << 11)
        )
        kinds, group = np.unique(pattern, return_inverse=True)
        for g, code in enumerate(kinds.tolist()):
            ks = np.flatnonzero(group == g)
            method, reason, to_review = _single_id_outcome(int(code))
            if to_review:
                for k, i in zip(ks.tolist(), idx[ks].tolist(), strict=True):
                    review[i] = reason
                    out.candidates[i] = [int(pid[k])] if known[k] else []
                continue
            rows_ = idx[ks]
            state.done[rows_] = True
            state.pupil_id[rows_] = pid[ks].astype(float)
            state.method[rows_] = method
            state.score[rows_] = 100.0
            state.reason[rows_] = reason
    # IDs given but unknown: they forbid a name match that contradicts them.
    unknown = present & np.isnan(found)
    for i in np.flatnonzero(unknown.any(axis=1) & ~state.done & ~any_found).tolist():
        out.unknown[int(i)] = [ID_METHODS[j] for j in range(4) if unknown[i, j]]
    return out


def _single_id_outcome(pattern: int) -> tuple[str, str, bool]:
    """(method, reason, to review) of a row whose IDs point to one pupil, from its pattern:
    bits 0–3 ID found, 4–7 ID given but not in the master, 8 birth date differs, 9 sex
    differs, 10 name disagrees, 11 the pupil is not in the master."""
    methods = [ID_METHODS[j] for j in range(4) if pattern >> j & 1]
    missing = [ID_METHODS[j] for j in range(4) if pattern >> (j + 4) & 1]
    birth_bad, sex_bad = bool(pattern >> 8 & 1), bool(pattern >> 9 & 1)
    name_bad, unknown = bool(pattern >> 10 & 1), bool(pattern >> 11 & 1)
    if unknown:
        return "review", "ID の指す児童生徒が台帳にありません。確認してください。", True
    verdict = (
        "氏名が一致しません。" if name_bad
        else "生年月日と性別が一致しません。" if birth_bad and sex_bad
        else None
    )
    if verdict is not None:
        return "review", (
            f"{_ID_LABELS[methods[0]]}で見つかった児童生徒と{verdict}"
            "ID の誤りの可能性があるため確認してください。"
        ), True
    notes = []
    if len(methods) > 1:
        notes.append(f"{'・'.join(_ID_LABELS[m] for m in methods[1:])}も一致")
    if missing:
        notes.append(f"{'・'.join(_ID_LABELS[m] for m in missing)}は台帳になし")
    if birth_bad:
        notes.append("ファイルの生年月日が台帳と異なります")
    if sex_bad:
        notes.append("ファイルの性別が台帳と異なります")
    return methods[0], f"{_ID_LABELS[methods[0]]}で照合しました" + (
        f"（{'、'.join(notes)}）。" if notes else "。"
    ), False


class _Checks:
    """Row-vs-pupil comparisons for aligned arrays of row uids and pupil positions."""

    def __init__(
        self, u: pd.DataFrame, p: pd.DataFrame, ui: npt.NDArray[np.int64],
        pi: npt.NDArray[np.int64],
    ) -> None:
        self.u, self.p, self.ui, self.pi = u, p, ui, pi

    def row(self, col: str) -> npt.NDArray[Any]:
        return np.asarray(self.u[col].to_numpy(dtype=object)[self.ui], dtype=object)

    def pupil(self, col: str) -> npt.NDArray[Any]:
        return np.asarray(self.p[col].to_numpy(dtype=object)[self.pi], dtype=object)

    def differs(self, col: str) -> npt.NDArray[np.bool_]:
        a, b = self.row(col), self.pupil(col)
        return np.asarray((a != "") & (b != "") & (a != b), dtype=bool)

    def name_disagrees(self) -> npt.NDArray[np.bool_]:
        """The row's name can be compared and matches in neither kanji (strict or loose) nor
        kana: a sign that an ID points to another child."""
        us, ps = self.row("skey"), self.pupil("skey")
        ul, pl = self.row("lkey"), self.pupil("lkey")
        uk, pk = self.row("kkey"), self.pupil("kkey")
        ulk, plk = self.row("lkkey"), self.pupil("lkkey")
        by_name = (us != "") & (ps != "")
        by_kana = (uk != "") & (pk != "")
        agree = (by_name & ((us == ps) | (ul == pl))) | (by_kana & (ulk == plk))
        agree |= _wildcard_names(self.u, self.p, self.ui, self.pi, by_name & ~agree)
        return np.asarray((by_name | by_kana) & ~agree, dtype=bool)


def _joint_codes(a: pd.Series, b: pd.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Integer codes of two string columns in one code space; "" (missing) → -1."""
    codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True))
    codes = codes.astype(np.int64)
    empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    if len(empty):
        codes[codes == empty[0]] = -1
    return codes[: len(a)], codes[len(a) :]


def _sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct values (np.unique is many times slower on millions of int64 here)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _block_pairs(
    codes: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    uids: npt.NDArray[np.int64],
    n_pupils: int,
    max_block: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Candidate pairs (uid, pupil position) sharing a birth date, name key or kana key,
    sorted by uid then pupil position (a sort-merge join per key, all in numpy)."""
    keys = []
    for key in ("birth_date", "skey", "lkey", "kkey"):
        uc, pc = codes[key]
        order = np.argsort(pc, kind="stable")
        sorted_codes = pc[order]
        wanted = uc[uids]
        lo = np.searchsorted(sorted_codes, wanted, "left")
        hi = np.searchsorted(sorted_codes, wanted, "right")
        counts = np.where(wanted >= 0, hi - lo, 0)
        if key != "birth_date":
            counts = np.where(counts > max_block, 0, counts)
        total = int(counts.sum())
        if not total:
            continue
        starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        positions = order[starts + np.arange(total)]
        keys.append(np.repeat(uids, counts) * n_pupils + positions)
    if not keys:
        return np.array([], np.int64), np.array([], np.int64)
    both = _sorted_unique(np.concatenate(keys))
    return both // n_pupils, both % n_pupils


_WILDCARDS = frozenset("?〓")


def _wildcard_names(
    u: pd.DataFrame,
    p: pd.DataFrame,
    ui: npt.NDArray[np.int64],
    pi: npt.NDArray[np.int64],
    candidates: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Pairs whose names agree except where the row has ? or 〓 (characters lost on the way,
    e.g. 𠮷 written to a Shift_JIS file). Scored like a loose match; never linked alone."""
    out = np.zeros(len(ui), dtype=bool)
    row_keys = u["skey"].to_numpy(dtype=object)
    wild_rows = np.array([any(c in _WILDCARDS for c in k) for k in row_keys], dtype=bool)
    if not wild_rows.any():
        return out
    pupil_keys = p["skey"].to_numpy(dtype=object)
    for k in np.flatnonzero(candidates & wild_rows[ui]).tolist():
        a, b = row_keys[ui[k]], pupil_keys[pi[k]]
        out[k] = len(a) == len(b) and all(x == y or x in _WILDCARDS for x, y in zip(a, b,
                                                                                    strict=True))
    return out


def _ymd(dates: pd.Series) -> npt.NDArray[np.int64]:
    """ISO date strings → (n, 3) array of year, month, day (0 where missing)."""
    codes, uniques = pd.factorize(dates)
    table = np.zeros((len(uniques) + 1, 3), dtype=np.int64)
    for k, text in enumerate(uniques):
        if text:
            table[k] = [int(x) for x in str(text).split("-")]
    return table[np.where(codes < 0, len(uniques), codes)]


def _near_birth(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Birth dates one typo apart: one of year/month/day differs, or month and day swapped."""
    present = (a[:, 0] > 0) & (b[:, 0] > 0)
    same = (a == b).sum(axis=1)
    swapped = (a[:, 0] == b[:, 0]) & (a[:, 1] == b[:, 2]) & (a[:, 2] == b[:, 1]) & (same < 3)
    return np.asarray(present & ((same == 2) | swapped), dtype=bool)


_FLAGS = (
    "name_strict", "name_loose", "name_wild", "given_only", "birth_eq", "birth_near", "kana_eq",
    "kana_loose", "kana_conflict", "sex_eq", "sex_conflict", "school_match", "school_conflict",
    "id_conflict",
)


def _scored(
    u: pd.DataFrame,
    ref: _Reference,
    state: _State,
    ids: _IdOutcome,
    cfg: LinkageConfig,
    steps: Steps,
) -> None:
    p = ref.pupils
    todo = np.flatnonzero(~state.done)
    if not len(todo):
        return
    codes = {
        key: _joint_codes(u[key], p[key])
        for key in ("skey", "lkey", "gkey", "fkey", "kkey", "lkkey", "birth_date", "sex")
    }
    ui, pi = _block_pairs(codes, todo, len(p), cfg.max_block)
    extra = [(i, int(ref.pos_of[pid])) for i, pids in ids.candidates.items() for pid in pids
             if pid in ref.pos_of.index]
    if extra:
        n = max(1, len(p))
        both = _sorted_unique(np.concatenate([
            ui * n + pi, np.array([a * n + b for a, b in extra], dtype=np.int64)
        ]))
        ui, pi = both // n, both % n
    steps.report(0.3)

    def has(key: str) -> npt.NDArray[np.bool_]:
        uc, pc = codes[key]
        return np.asarray((uc[ui] >= 0) & (pc[pi] >= 0), dtype=bool)

    def same(key: str) -> npt.NDArray[np.bool_]:
        uc, pc = codes[key]
        a = uc[ui]
        return np.asarray((a >= 0) & (a == pc[pi]), dtype=bool)

    has_name = has("skey")
    name_strict = same("skey")
    name_loose = has_name & ~name_strict & same("lkey")
    name_wild = _wildcard_names(u, p, ui, pi, has_name & ~name_strict & ~name_loose)
    given_only = (has_name & ~name_strict & ~name_loose & ~name_wild & same("gkey")
                  & ~same("fkey"))
    birth_eq = same("birth_date")
    birth_near = _near_birth(_ymd(u["birth_date"])[ui], _ymd(p["birth_date"])[pi])
    has_kana = has("kkey")
    kana_eq = same("kkey")
    kana_loose = has_kana & ~kana_eq & same("lkkey")
    kana_conflict = has_kana & ~kana_eq & ~kana_loose
    sex_eq = same("sex")
    sex_conflict = has("sex") & ~sex_eq
    school_match, school_conflict = _school_context(u, ref, ui, pi)
    steps.report(0.6)

    score = (
        cfg.name * name_strict + cfg.name_loose * (name_loose | name_wild)
        + cfg.given_only * given_only
        + cfg.birth * birth_eq + cfg.birth_near * birth_near
        + cfg.kana * kana_eq + cfg.kana_loose * kana_loose + cfg.kana_conflict * kana_conflict
        + cfg.sex * sex_eq + cfg.sex_conflict * sex_conflict
        + cfg.school * school_match + cfg.school_conflict * school_conflict
    ).astype(float)
    id_conflict = np.zeros(len(ui), dtype=bool)
    if ids.unknown:
        pupil_addr = p["address_code"].to_numpy(dtype=object)
        row_addr = u["address_code"].to_numpy(dtype=object)
        for k in np.flatnonzero(np.isin(ui, list(ids.unknown))).tolist():
            kinds = ids.unknown[int(ui[k])]
            addr = pupil_addr[pi[k]]
            if "address_code" in kinds and addr and addr != row_addr[ui[k]]:
                id_conflict[k] = True
            if "pref_id" in kinds and ref.has_pref[pi[k]]:
                id_conflict[k] = True
            if "google_account" in kinds and ref.has_google[pi[k]]:
                id_conflict[k] = True

    # Best first within each row; ties keep the pupils' order (pairs are sorted by position).
    order = np.argsort(ui * 1000.0 + (500.0 - score), kind="stable")
    ui, pi, score = ui[order], pi[order], score[order]
    flags = {
        "name_strict": name_strict[order], "name_loose": name_loose[order],
        "name_wild": name_wild[order],
        "given_only": given_only[order], "birth_eq": birth_eq[order],
        "birth_near": birth_near[order], "kana_eq": kana_eq[order],
        "kana_loose": kana_loose[order], "kana_conflict": kana_conflict[order],
        "sex_eq": sex_eq[order], "sex_conflict": sex_conflict[order],
        "school_match": school_match[order], "school_conflict": school_conflict[order],
        "id_conflict": id_conflict[order],
    }
    masks = np.zeros(len(ui), dtype=np.int64)
    for bit, name in enumerate(_FLAGS):
        masks |= flags[name].astype(np.int64) << bit
    evidence: dict[int, str] = {}
    starts = np.flatnonzero(np.r_[True, ui[1:] != ui[:-1]]) if len(ui) else np.array([], int)
    ends = np.r_[starts[1:], len(ui)] if len(ui) else np.array([], int)
    steps.report(0.8)

    pupil_ids = p["pupil_id"].to_numpy()
    row_skey = u["skey"].to_numpy(dtype=object)
    row_kkey = u["kkey"].to_numpy(dtype=object)
    row_birth = u["birth_date"].to_numpy(dtype=object)
    key_parts = np.zeros(len(u), dtype=np.int64)
    for key in ENROLLMENT_KEY:
        key_parts += (u[key] != "").to_numpy(dtype=np.int64)
    partial = (key_parts > 0) & (key_parts < len(ENROLLMENT_KEY))
    # The decision for every row at once, on its best candidate.
    n_groups = len(starts)
    has_second = (ends - starts) > 1
    second_score = np.where(has_second, score[np.minimum(starts + 1, len(score) - 1)], -np.inf)
    best_score = score[starts] if n_groups else np.zeros(0)
    failure = _auto_failures(flags, starts, ref.homonyms[pi[starts]], best_score,
                             second_score, cfg)
    group_of = {int(ui[a]): g for g, a in enumerate(starts.tolist())}
    for i in todo.tolist():
        g = group_of.get(i)
        cands: list[Candidate] = []
        if g is not None:
            forced = set(ids.candidates.get(i, []))
            for k in range(int(starts[g]), int(ends[g])):
                pid = int(pupil_ids[pi[k]])
                wanted = len(cands) < cfg.max_candidates and score[k] >= cfg.candidate_min
                if wanted or pid in forced:
                    mask = int(masks[k])
                    if mask not in evidence:
                        evidence[mask] = _evidence(flags, k)
                    cands.append(Candidate(pid, round(float(score[k]), 1), evidence[mask]))
                    forced.discard(pid)
                elif not forced:
                    break
        state.candidates[i] = tuple(cands)
        best = float(best_score[g]) if g is not None else 0.0
        state.score[i] = max(best, 0.0)
        if i in ids.review:
            state.method[i] = "review"
            state.reason[i] = ids.review[i]
            continue
        if g is None:
            state.method[i] = "rejected"
            state.reason[i] = _rejection(
                bool(row_skey[i] or row_kkey[i] or row_birth[i]), bool(partial[i]),
                ids.unknown.get(i),
            )
            continue
        failing = _FAILURES[int(failure[g])]
        if failing is None:
            state.done[i] = True
            state.pupil_id[i] = float(pupil_ids[pi[starts[g]]])
            state.method[i] = "name_match"
            state.reason[i] = "氏名・生年月日が一致し、カナ・性別・在籍校に矛盾がありません。"
        elif best >= cfg.review_min:
            state.method[i] = "review"
            state.reason[i] = failing
        else:
            state.method[i] = "rejected"
            state.reason[i] = (
                "一致する情報が少なく、候補を特定できません（" + failing.rstrip("。") + "）。"
            )


def _school_context(
    u: pd.DataFrame, ref: _Reference, ui: npt.NDArray[np.int64], pi: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per pair: the pupil was enrolled at the row's school in the row's year / elsewhere."""
    n = len(ui)
    match = np.zeros(n, dtype=bool)
    conflict = np.zeros(n, dtype=bool)
    e = ref.enroll
    if not n or e.empty:
        return match, conflict
    year = u["school_year"].to_numpy(dtype=object)[ui]
    school = u["school_code"].to_numpy(dtype=object)[ui]
    has = (year != "") & (school != "")
    if not has.any():
        return match, conflict
    pid = ref.pupils["pupil_id"].to_numpy()[pi]
    pairs = pd.DataFrame({"k": np.flatnonzero(has), "pupil_id": pid[has], "school_year": year[has],
                          "row_school": school[has]})
    enr = e.loc[(e["school_year"] != "") & (e["school_code"] != ""),
                ["pupil_id", "school_year", "school_code"]].drop_duplicates()
    merged = pairs.merge(enr, on=["pupil_id", "school_year"], how="inner")
    if merged.empty:
        return match, conflict
    same = (merged["school_code"] == merged["row_school"]).groupby(merged["k"]).any()
    match[same.index[same.to_numpy()]] = True
    conflict[same.index[~same.to_numpy()]] = True
    return match, conflict


def _evidence(flags: dict[str, npt.NDArray[np.bool_]], k: int) -> str:
    parts = []
    if flags["name_strict"][k]:
        parts.append("氏名一致")
    elif flags["name_wild"][k]:
        parts.append("氏名が代替文字（?・〓）の位置を除いて一致")
    elif flags["name_loose"][k]:
        parts.append("氏名が似た字で一致（別字の可能性）")
    elif flags["given_only"][k]:
        parts.append("名のみ一致")
    if flags["birth_eq"][k]:
        parts.append("生年月日一致")
    elif flags["birth_near"][k]:
        parts.append("生年月日が1か所違い")
    if flags["kana_eq"][k]:
        parts.append("カナ一致")
    elif flags["kana_loose"][k]:
        parts.append("カナがほぼ一致")
    elif flags["kana_conflict"][k]:
        parts.append("カナ不一致")
    if flags["sex_eq"][k]:
        parts.append("性別一致")
    elif flags["sex_conflict"][k]:
        parts.append("性別不一致")
    if flags["school_match"][k]:
        parts.append("在籍校一致")
    elif flags["school_conflict"][k]:
        parts.append("在籍校不一致")
    if flags["id_conflict"][k]:
        parts.append("IDが台帳と不一致")
    return "・".join(parts) if parts else "一致する項目なし"


_FAILURES: tuple[str | None, ...] = (
    None,
    "氏名が似た字（斎/斉 など別の字の可能性）でのみ一致します。確認してください。",
    "氏名に表せなかった文字（?・〓）があるため、自動では照合できません。",
    "氏名が一致する候補がありません。",
    "氏名は一致しますが、生年月日が一致しないか、ありません。",
    "性別が一致しません。",
    "氏名カナが一致しません。",
    "その年度の在籍校が一致しません。",
    "ファイルの ID（宛名番号など）が台帳の候補と一致しません。",
    "氏名と生年月日が同じ児童生徒が複数います（双子・同姓同名の可能性）。",
    "得点の近い別の候補がいるため、自動では決められません。",
)


def _auto_failures(
    flags: dict[str, npt.NDArray[np.bool_]],
    best: npt.NDArray[np.int64],
    homonyms: npt.NDArray[np.int64],
    best_score: npt.NDArray[np.float64],
    second_score: npt.NDArray[np.float64],
    cfg: LinkageConfig,
) -> npt.NDArray[np.int64]:
    """Per row, the first reason (index into _FAILURES) why its best candidate cannot be
    linked automatically; 0 when it can."""
    f = {k: v[best] for k, v in flags.items()}
    conditions = [
        ~f["name_strict"] & f["name_loose"],
        ~f["name_strict"] & f["name_wild"],
        ~f["name_strict"],
        ~f["birth_eq"],
        f["sex_conflict"],
        f["kana_conflict"],
        f["school_conflict"],
        f["id_conflict"],
        homonyms > 1,
        second_score > best_score - cfg.auto_margin,
    ]
    return np.select(conditions, list(range(1, len(conditions) + 1)), default=0).astype(np.int64)


def _rejection(has_person_data: bool, partial_key: bool, unknown: list[str] | None) -> str:
    if unknown:
        ids = "・".join(_ID_LABELS[m] for m in unknown)
        return f"{ids}が台帳に見つからず、氏名・生年月日でも候補が見つかりません。"
    if partial_key:
        return (
            "在籍キー（年度・学校コード・学年・組・出席番号）がそろっていないため照合できません。"
        )
    if not has_person_data:
        return "照合に使える情報（ID・氏名・生年月日）がありません。"
    return "氏名・カナ・生年月日の一致する児童生徒が見つかりません。"


# --------------------------------------------------------------------------------------------
# Measuring precision


@dataclass(frozen=True)
class LinkageEvaluation:
    """Outcomes of linked rows against the true pupil of each row."""

    rows: int
    auto_linked: int
    correct: int
    wrong: int
    review: int
    review_with_truth: int
    rejected: int
    details: pd.DataFrame

    @property
    def precision(self) -> float:
        return self.correct / self.auto_linked if self.auto_linked else 1.0

    @property
    def automation(self) -> float:
        return self.auto_linked / self.rows if self.rows else 0.0

    @property
    def review_recall(self) -> float:
        """Share of reviewed rows whose true pupil is among the candidates."""
        return self.review_with_truth / self.review if self.review else 1.0

    def summary(self) -> str:
        return (
            f"{self.rows}行: 自動照合 {self.auto_linked}（正 {self.correct}・誤 {self.wrong}、"
            f"適合率 {self.precision:.5f}、自動化率 {self.automation:.3f}）、確認待ち {self.review}"
            f"（正解が候補にある {self.review_with_truth}）、照合不可 {self.rejected}"
        )


def evaluate_links(result: pd.DataFrame, truth: pd.Series) -> LinkageEvaluation:
    """Compare :func:`link_rows` output with the true pupil_id of each row (same index).

    ``details`` lists the rows that went wrong: a wrong automatic link, a review without the
    true pupil among the candidates, or a rejection — with ids only, no personal data.
    """
    truth = truth.reindex(result.index)
    linked = result["method"].isin(LINKED_METHODS).to_numpy()
    pid = result["pupil_id"].to_numpy(dtype=float, na_value=np.nan)
    true = truth.to_numpy(dtype=float, na_value=np.nan)
    correct = linked & (pid == true)
    wrong = linked & (pid != true)
    review = (result["method"] == "review").to_numpy()
    has_truth = np.array(
        [any(c.pupil_id == t for c in cands) for cands, t in
         zip(result["candidates"], true, strict=True)],
        dtype=bool,
    )
    rejected = (result["method"] == "rejected").to_numpy()
    bad = wrong | (review & ~has_truth) | rejected
    details = pd.DataFrame(
        {
            "truth": pd.array(true[bad], dtype="Float64").astype("Int64"),
            "pupil_id": result["pupil_id"].to_numpy()[bad],
            "method": result["method"].to_numpy()[bad],
            "score": result["score"].to_numpy()[bad],
            "reason": result["reason"].to_numpy()[bad],
            "outcome": np.where(wrong[bad], "wrong_link",
                                np.where(review[bad], "review_without_truth", "rejected")),
        },
        index=result.index[bad],
    )
    return LinkageEvaluation(
        rows=len(result), auto_linked=int(linked.sum()), correct=int(correct.sum()),
        wrong=int(wrong.sum()), review=int(review.sum()),
        review_with_truth=int((review & has_truth).sum()), rejected=int(rejected.sum()),
        details=details,
    )


MASKED_COLUMNS = ("address_code", "pref_id", "google_account", "seat_number")


def masked_backtest(
    rows: pd.DataFrame,
    pupils: pd.DataFrame,
    enrollments: pd.DataFrame,
    *,
    config: LinkageConfig | None = None,
    masked: Sequence[str] = MASKED_COLUMNS,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> LinkageEvaluation:
    """ID-masked backtest: rows linked by an ID give the truth; the IDs are then hidden
    (``masked`` columns emptied; the seat number breaks the enrollment key, school and year
    stay as context) and the rows are linked again by name, kana, birth date and sex.
    Precision here is the precision of name matching on this population, for free.
    """
    steps = Steps(progress, cancel)
    first = link_rows(
        rows, pupils, enrollments, config=config, progress=steps.part(0, 0.4).callback(),
        cancel=cancel,
    )
    by_id = first["method"].isin(ID_METHODS)
    truth = first.loc[by_id, "pupil_id"]
    hidden = rows.loc[by_id].copy()
    for col in masked:
        if col in hidden.columns:
            hidden[col] = pd.NA
    second = link_rows(
        hidden, pupils, enrollments, config=config, progress=steps.part(0.4, 1.0).callback(),
        cancel=cancel,
    )
    return evaluate_links(second, truth)
