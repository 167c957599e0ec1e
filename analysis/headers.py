"""Header normalization, mapping headers to column keys, and recognizing a file's dataset kind.

Headers are compared after :func:`normalize_header`: NFKC (full/half width), every space
removed (also U+3000 and line breaks typed with Alt+Enter), brackets unified (（）【】［］〔〕
「」 → ()), required-marks (*, ※) dropped, hiragana → katakana, case folded. Each column is
named by its label and its synonyms; a user's saved mapping ``{raw header: column key}``
(or ``None`` to ignore a column on purpose) is applied first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import jaconv

from analysis.specs import ColumnLike, KindLike

_OPEN = "（【［〔「『〈《{[<"
_CLOSE = "）】］〕」』〉》}]>"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPEN, "("), **dict.fromkeys(_CLOSE, ")")})
_SPACES = re.compile(r"\s+")
_MARKS = re.compile(r"^[*＊※◎●]+|[*＊※◎●]+$")
_PAREN = re.compile(r"\([^()]*\)")

# Person-reference sets that identify a pupil on their own (DATA_FORMAT: "person ref*").
PERSON_REF_SETS: tuple[tuple[str, ...], ...] = (
    ("address_code",),
    ("school_code", "grade", "class_name", "seat_number"),
    ("pref_id",),
    ("google_account",),
    ("name", "birth_date"),
)
_REF_SET_LABELS = (
    "宛名番号、学校コード＋学年＋組＋出席番号、県学調番号、Googleアカウント、氏名＋生年月日"
)


def normalize_header(text: str) -> str:
    """The comparable form of a header cell."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACES.sub("", s)
    s = s.translate(_BRACKETS)
    s = _MARKS.sub("", s)
    s = str(jaconv.hira2kata(s))
    return s.casefold()


@dataclass(frozen=True)
class HeaderMapping:
    """Which file column (position) holds which dataset column (key).

    ``positions``: key → position. ``unknown``: positions whose header names no column (they
    are not imported). ``ignored``: positions the user chose to ignore. ``missing_required``:
    keys of required columns that no header names. ``duplicates``: positions whose header
    names a column already taken by another position (not imported; an error to resolve).
    ``inferred``: positions mapped only after dropping a parenthesized note from the header
    (e.g. 生年月日（西暦8桁） → 生年月日), to be confirmed by the user. ``derived``: positions
    of a value the kind takes from another column (年度 from 利用日) → a note saying so; not
    imported, and not in ``unknown``. ``messages``: Japanese
    sentences for the wizard; ``errors`` those that block an import.
    """

    positions: dict[str, int]
    headers: tuple[str, ...]
    unknown: tuple[int, ...] = ()
    ignored: tuple[int, ...] = ()
    missing_required: tuple[str, ...] = ()
    duplicates: tuple[int, ...] = ()
    inferred: tuple[int, ...] = ()
    missing_person_ref: bool = False
    errors: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    derived: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

def _lookup(columns: Sequence[ColumnLike]) -> dict[str, tuple[str, bool]]:
    """normalized header → (key, is_label). A label wins over another column's synonym."""
    table: dict[str, tuple[str, bool]] = {}
    for col in columns:
        norm = normalize_header(col.label)
        if norm not in table or not table[norm][1]:
            table[norm] = (col.key, True)
    for col in columns:
        for syn in col.synonyms:
            table.setdefault(normalize_header(syn), (col.key, False))
    return table


def _display(header: str, pos: int) -> str:
    return f"「{header}」" if header else f"{pos + 1}列目（見出しなし）"


def map_headers(
    headers: Sequence[str],
    columns: Sequence[ColumnLike],
    saved: Mapping[str, str | None] | None = None,
    *,
    pupil: bool | None = None,
    derived: Mapping[str, str] | None = None,
) -> HeaderMapping:
    """Map a file's header cells to the columns of one dataset kind.

    ``saved`` is the user's mapping for this source (raw header → key, or None = ignore),
    matched exactly or after normalization. ``pupil``: the kind's rows refer to a pupil, so
    at least one set of person references (宛名番号, the enrollment key, 県学調番号,
    Googleアカウント, 氏名+生年月日) must be present; by default true when a column has a
    ``ref`` role and no ``address_code`` column is required. ``derived``: headers of values
    the kind takes from another column (e.g. 年度 from 利用日) → that column's label; such a
    header is not imported either, but the note says where the value comes from instead of
    suggesting it is lost.
    """
    by_key = {c.key: c for c in columns}
    table = _lookup(columns)
    saved_norm = {normalize_header(k): v for k, v in (saved or {}).items()}
    positions: dict[str, int] = {}
    exact: dict[str, bool] = {}
    unknown: list[int] = []
    ignored: list[int] = []
    duplicates: list[int] = []
    inferred: list[int] = []
    errors: list[str] = []
    messages: list[str] = []

    candidates: list[tuple[int, str, bool, bool]] = []  # (pos, key, is_label, inferred)
    for pos, header in enumerate(headers):
        norm = normalize_header(header)
        if saved is not None and (header in saved or (norm and norm in saved_norm)):
            target = saved[header] if header in saved else saved_norm[norm]
            if target is None:
                ignored.append(pos)
            elif target in by_key:
                candidates.append((pos, target, True, False))
            else:
                errors.append(f"保存された対応付けの列 {target} はこのデータにありません。")
                unknown.append(pos)
            continue
        if not norm:
            unknown.append(pos)
            continue
        if norm in table:
            key, is_label = table[norm]
            candidates.append((pos, key, is_label, False))
            continue
        stripped = _PAREN.sub("", norm)
        if stripped and stripped != norm and stripped in table:
            key, _ = table[stripped]
            candidates.append((pos, key, False, True))
            continue
        unknown.append(pos)

    # A key named by two headers: the exact label wins, then the first one; the rest are
    # duplicates the user must resolve (picking one silently could import the wrong data).
    candidates.sort(key=lambda c: (not c[2], c[3], c[0]))
    for pos, key, is_label, was_inferred in candidates:
        if key in positions:
            duplicates.append(pos)
            continue
        positions[key] = pos
        exact[key] = is_label
        if was_inferred:
            inferred.append(pos)

    for pos in sorted(duplicates):
        key = next(c[1] for c in candidates if c[0] == pos)
        errors.append(
            f"{_display(headers[pos], pos)} と {_display(headers[positions[key]], positions[key])}"
            f" がどちらも「{by_key[key].label}」の列です。どちらを使うか対応付けてください。"
        )
    missing = tuple(c.key for c in columns if c.required and c.key not in positions)
    for key in missing:
        errors.append(f"必須の列「{by_key[key].label}」がありません。")
    if pupil is None:
        pupil = any(c.ref for c in columns) and not any(
            c.required and c.ref == "address_code" for c in columns
        )
    has_refs = any(c.ref for c in columns)
    missing_ref = bool(
        pupil and has_refs and not any(all(k in positions for k in s) for s in PERSON_REF_SETS)
    )
    if missing_ref:
        errors.append(f"児童生徒を特定する列がありません（{_REF_SET_LABELS} のいずれか）。")
    for pos in inferred:
        key = next(k for k, p in positions.items() if p == pos)
        messages.append(
            f"{_display(headers[pos], pos)} を「{by_key[key].label}」として読みます。"
            "確認してください。"
        )
    derived_norm = {normalize_header(k): v for k, v in (derived or {}).items()}
    derived_notes: dict[int, str] = {}
    for pos in unknown:
        source = derived_norm.get(normalize_header(headers[pos])) if headers[pos] else None
        if source is not None:
            derived_notes[pos] = (f"見出し「{headers[pos]}」は「{source}」から求めるため、"
                                  "この列は読みません。")
    unknown = [p for p in unknown if p not in derived_notes]
    messages += derived_notes.values()
    for pos in unknown:
        if headers[pos]:
            messages.append(f"{_display(headers[pos], pos)} は対応する列がないため取り込みません。")
    return HeaderMapping(
        positions=positions,
        headers=tuple(headers),
        unknown=tuple(unknown),
        ignored=tuple(ignored),
        missing_required=missing,
        duplicates=tuple(sorted(duplicates)),
        inferred=tuple(inferred),
        missing_person_ref=missing_ref,
        errors=tuple(errors),
        messages=tuple(errors) + tuple(messages),
        labels={c.key: c.label for c in columns},
        derived=derived_notes,
    )


# --------------------------------------------------------------------------------------------
# Recognizing the dataset kind


@dataclass(frozen=True)
class KindScore:
    kind: str
    label: str
    score: float
    required_found: int
    required_total: int
    headers_explained: int
    headers_total: int


@dataclass(frozen=True)
class KindGuess:
    """The best-scoring kind, how sure (0..1), why (Japanese), and every kind's score."""

    kind: str | None
    confidence: float
    explanation: str
    scores: tuple[KindScore, ...]


# Columns many kinds share that say nothing about which kind a file is.
_COMMON_KEYS = frozenset({"school_year"})


def recognize_kind(
    headers: Sequence[str],
    kinds: Sequence[KindLike],
    saved: Mapping[str, str | None] | None = None,
) -> KindGuess:
    """Which dataset kind a file's headers describe.

    Each kind is scored by (share of the file's headers it explains, each header weighted by
    how specific its column is: a column found in many kinds, such as 氏名 or 年度, counts
    less)² × (share of its required columns found)², times a small bonus for how many of its
    columns were found, halved when none of the kind's own content (its required columns and
    its columns that are not person references, 年度 aside) is there: a file of person columns
    only is not a 学校健診 without any measurement. Headers the kind cannot explain weigh
    heavily (squared): a health-room log missing its date once passed for 在籍 and damaged
    it. Confidence is the best score reduced when the runner-up is close.
    """
    named = [h for h in headers if normalize_header(h)]
    if not named or not kinds:
        return KindGuess(None, 0.0, "見出しがないため、データの種類を判断できません。", ())
    in_kinds: dict[str, int] = {}
    for kind in kinds:
        for key in {c.key for c in kind.columns}:
            in_kinds[key] = in_kinds.get(key, 0) + 1
    n_kinds = len(kinds)

    def weight(key: str) -> float:
        return 1.0 + (n_kinds - in_kinds.get(key, 0)) / n_kinds

    scores: list[KindScore] = []
    for kind in kinds:
        mapping = map_headers(named, kind.columns, saved, pupil=False)
        total_w = sum(
            weight(mapping_key) for mapping_key in mapping.positions
        ) + sum(1.0 for _ in mapping.unknown) + sum(1.0 for _ in mapping.duplicates)
        explained_w = sum(weight(k) for k in mapping.positions)
        precision = explained_w / total_w if total_w else 0.0
        required = [c for c in kind.columns if c.required]
        found_req = sum(1 for c in required if c.key in mapping.positions)
        req_recall = found_req / len(required) if required else 1.0
        all_w = sum(weight(c.key) for c in kind.columns)
        recall = explained_w / all_w if all_w else 0.0
        content = [c.key for c in kind.columns
                   if (c.required or c.ref is None) and c.key not in _COMMON_KEYS]
        bare = bool(content) and not any(k in mapping.positions for k in content)
        score = precision**2 * req_recall**2 * (0.8 + 0.2 * recall) * (0.5 if bare else 1.0)
        scores.append(
            KindScore(
                kind.name, kind.label, round(score, 4), found_req, len(required),
                len(mapping.positions), len(named),
            )
        )
    scores.sort(key=lambda s: -s.score)
    best = scores[0]
    second = scores[1].score if len(scores) > 1 else 0.0
    if best.score <= 0.0:
        return KindGuess(
            None, 0.0, "どのデータの種類とも見出しが一致しません。列の対応付けを行ってください。",
            tuple(scores),
        )
    margin = (best.score - second) / best.score
    confidence = round(best.score * min(1.0, 0.5 + margin), 3)
    text = (
        f"「{best.label}」と判断しました（見出し {best.headers_explained}/{best.headers_total} 列が"
        f"一致、必須列 {best.required_found}/{best.required_total}）。"
    )
    if len(scores) > 1 and scores[1].score > 0:
        text += f" 次点は「{scores[1].label}」です。"
    if confidence < 0.5:
        text += " 確信度が低いため、種類を確認してください。"
    return KindGuess(best.kind, confidence, text, tuple(scores))
