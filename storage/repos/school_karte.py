"""Aggregating SQL of the school karte (issue 15): every query returns group totals, never a
pupil row. Groups are classes (school, grade, class of the pupil's last enrollment row of the
school year); the analysis adds classes up to grades, schools and the city.

How a pupil's answer counts as positive: the item master's 肯定的回答 for a choice item (as the
karte and the extraction read it), else a rule the caller passes (``PositiveRule``: a Q-U
group that counts as positive, an AiGROW score at or above a threshold). An answer neither
covers is left out. Values are always bound; column names are fixed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from kernel.school_calendar import school_year_start
from storage.connection import Connection
from storage.repos.karte import ITEMS_CTE

SHARE_BINS = (0.2, 0.4, 0.6, 0.8)  # upper edges of the first four bins of a pupil's share


@dataclass(frozen=True)
class PositiveRule:
    """Positivity of an instrument without 肯定的回答 in the item master. ``item_code`` "*"
    covers every item of the survey; ``categories``: answers that count as positive;
    ``at_least``: a score at or above it counts as positive. ``domain``: the domain its
    items are shown under."""

    survey_code: str
    item_code: str
    domain: str
    categories: tuple[str, ...] = ()
    at_least: float | None = None


@dataclass(frozen=True)
class PositivityGroup:
    """One class's total for a (survey, round, domain, item); ``item_code`` "" = the domain
    as a whole (each pupil's answers in the domain averaged first). ``group_year``: the
    school year of the enrollment the pupils are grouped by."""

    group_year: int
    school_code: str
    grade: int
    class_name: str
    survey_code: str
    round: int
    domain: str
    item_code: str
    n: int
    share_sum: float
    bins: tuple[int, int, int, int, int]


def _enrolled(year_param: str = "?") -> str:
    """Each pupil's last enrollment row of a school year."""
    return (
        "en AS (SELECT e.pupil_id, e.school_code, e.grade, coalesce(e.class_name, '') AS"
        " class_name FROM ds_enrollments e WHERE e.id IN (SELECT max(id) FROM ds_enrollments"
        f" WHERE school_year = {year_param} GROUP BY pupil_id)"
        " AND e.school_code IS NOT NULL AND e.grade IS NOT NULL)"
    )


def _enrolled_years(years: Sequence[int], params: list[object], school_filter: str = ""
                    ) -> str:
    """Each pupil's last enrollment row of each of ``years`` (column ``year``)."""
    marks = ", ".join("?" for _ in years)
    params.extend(years)
    return (
        "eny AS MATERIALIZED (SELECT e.school_year AS year, e.pupil_id, e.school_code, e.grade,"
        " coalesce(e.class_name, '') AS class_name FROM ds_enrollments e WHERE e.id IN"
        f" (SELECT max(id) FROM ds_enrollments WHERE school_year IN ({marks})"
        " GROUP BY pupil_id, school_year)"
        f" AND e.school_code IS NOT NULL AND e.grade IS NOT NULL{school_filter})"
    )


_ITM = (
    "itm AS MATERIALIZED (SELECT survey_code, item_code,"
    " coalesce(max(CASE WHEN school_year IS NOT NULL THEN pos END),"
    " max(CASE WHEN school_year IS NULL THEN pos END)) AS pos,"
    " coalesce(max(CASE WHEN school_year IS NOT NULL THEN domain END),"
    " max(CASE WHEN school_year IS NULL THEN domain END)) AS domain"
    " FROM items WHERE school_year = ? OR school_year IS NULL"
    " GROUP BY survey_code, item_code)"
)


@dataclass(frozen=True)
class ItemLabel:
    survey_code: str
    item_code: str
    item_text: str
    domain: str


def item_labels(conn: Connection, school_year: int) -> list[ItemLabel]:
    """Each item's text and domain in a school year (year-less master rows as well)."""
    rows = conn.execute(
        "SELECT survey_code, item_code, max(item_text), max(coalesce(domain, ''))"
        " FROM ds_survey_items WHERE school_year = ? OR school_year IS NULL"
        " GROUP BY survey_code, item_code ORDER BY survey_code, item_code", (school_year,))
    return [ItemLabel(str(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or "")) for r in rows]


@dataclass(frozen=True)
class SchoolRow:
    school_code: str
    school_name: str
    school_type: str


def schools(conn: Connection) -> list[SchoolRow]:
    """Every school, in school-code order."""
    return [SchoolRow(str(r[0]), str(r[1] or r[0]), str(r[2] or ""))
            for r in conn.execute("SELECT school_code, max(school_name), max(school_type)"
                                  " FROM ds_schools GROUP BY school_code ORDER BY school_code")]


def school_years(conn: Connection) -> list[int]:
    """School years with enrollments, in order."""
    return [int(r[0]) for r in conn.execute(
        "SELECT DISTINCT school_year FROM ds_enrollments WHERE school_year IS NOT NULL"
        " ORDER BY school_year")]


def survey_rounds(conn: Connection, school_year: int) -> list[tuple[str, int]]:
    """(survey, round) answered in the school year."""
    return [(str(r[0]), int(r[1])) for r in conn.execute(
        "SELECT DISTINCT survey_code, coalesce(round, 1) FROM ds_survey_responses"
        " WHERE school_year = ? ORDER BY 1, 2", (school_year,))]


# -- growth and outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthRow:
    """One pupil's levels (mean over subjects) last year and this year, with the school and
    grade of this year. Read only by the service's estimate; no pupil ID is carried."""

    school_code: str
    grade: int
    prior: float
    current: float


_LEVELS = (
    "lv AS MATERIALIZED (SELECT pupil_id, school_year, avg(level) AS level"
    " FROM ds_academic_results"
    " WHERE school_year IN (?, ?) AND level IS NOT NULL GROUP BY pupil_id, school_year)"
)


def growth_rows(conn: Connection, school_year: int) -> list[GrowthRow]:
    """Pupils enrolled in ``school_year`` with a 県学調 level in it and in the year before."""
    sql = (
        f"WITH {_enrolled()}, {_LEVELS}"
        " SELECT en.school_code, en.grade, p.level, c.level FROM en"
        " JOIN lv c ON c.pupil_id = en.pupil_id AND c.school_year = ?"
        " JOIN lv p ON p.pupil_id = en.pupil_id AND p.school_year = ?"
        " ORDER BY en.school_code, en.grade"
    )
    params = (school_year, school_year - 1, school_year, school_year, school_year - 1)
    return [GrowthRow(str(r[0]), int(r[1]), float(r[2]), float(r[3]))
            for r in conn.execute(sql, params)]


@dataclass(frozen=True)
class MomentRow:
    """Sums over a school's pupils of x (an item's or a domain's positive share, 0–1) and y
    (the outcome): enough for the correlation without the pupils. ``item_code`` "" = the
    domain as a whole."""

    school_code: str
    survey_code: str
    round: int
    domain: str
    n: int
    sx: float
    sy: float
    sxx: float
    syy: float
    sxy: float
    item_code: str = ""


OUTCOMES = ("growth", "absence")


@dataclass(frozen=True)
class OutcomeMoments:
    outcome: str  # growth | absence
    row: MomentRow


PAIR_COLUMNS = ("r_school", "r_grade", "r_class", "c_school", "c_grade", "c_class",
                "survey_code", "round", "domain", "item_code", "n")
GROUP_FRAME_COLUMNS = ("school_code", "grade", "class_name", "survey_code", "round", "domain",
                       "item_code", "n", "share_sum", "bin0", "bin1", "bin2", "bin3", "bin4")


@dataclass(frozen=True)
class YearAggregates:
    """``frames``: per group year, the class totals as a table (``GROUP_FRAME_COLUMNS``,
    sorted by class and key), as the analysis reads them; ``groups`` the same as rows."""

    frames: dict[int, pd.DataFrame]
    moments: list[OutcomeMoments]
    # (survey, round) -> pupil -> (positive answers, answers) over the items with the item
    # master's 肯定的回答 (``SurveyCount``); kept in the service, never shown.
    pupil_counts: dict[tuple[str, int], dict[int, tuple[int, int]]] = field(
        default_factory=dict)
    # With two group years: pupils per (class of the first, class of the second) and key
    # (``PAIR_COLUMNS``; "" / -1 where a pupil has no class that year) — the disclosure
    # audit's atoms, counts only.
    pairs: pd.DataFrame | None = None

    @property
    def groups(self) -> list[PositivityGroup]:
        return [
            PositivityGroup(
                group_year=year, school_code=str(r[0]), grade=int(r[1]),
                class_name=str(r[2]), survey_code=str(r[3]), round=int(r[4]),
                domain=str(r[5]), item_code=str(r[6]), n=int(r[7]), share_sum=float(r[8]),
                bins=(int(r[9]), int(r[10]), int(r[11]), int(r[12]), int(r[13])))
            for year, frame in sorted(self.frames.items())
            for r in frame.itertuples(index=False, name=None)]


def year_aggregates(
    conn: Connection, answer_year: int, group_years: Sequence[int],
    rules: Sequence[PositiveRule], *, school_code: str | None = None,
    outcomes: Sequence[str] = (),
    pupil_counts: Sequence[tuple[str, int]] = (),
) -> YearAggregates:
    """One pass over the answers of ``answer_year``:

    - class totals of pupils' positive shares (per item and per domain), the pupils grouped
      by their class in each of ``group_years`` (the same year; the next one for "the same
      pupils last year");
    - per school (of ``answer_year``, which must then be among ``group_years``) and (survey,
      round, domain, item): moments of pupils' shares against each of ``outcomes``: their
      growth in 県学調 level from the year before (``growth``) and their absence rate in
      percent of school days (``absence``).

    ``school_code``: only that school's pupils.

    Why not all in SQL: the pupils' shares feed a join with each group year and two outcome
    joins, and SQLite builds a temporary B-tree for every one of those GROUP BYs over some
    400,000 share rows (2–3 s a year on the full demo city). Here SQL reads each answer once
    (whether it is positive, with its domain) and the enrollments and outcomes, and
    numpy/pandas add them up in memory; only the totals leave this function.

    ``pupil_counts``: (survey, round) pairs whose per-pupil positive answers and answers
    are wanted as the extraction's ``survey_positivity`` counts them (the push-support
    criteria), taken from the same read instead of another pass over the answers."""
    if any(o not in OUTCOMES for o in outcomes):
        raise ValueError(outcomes)
    if outcomes and answer_year not in group_years:
        raise ValueError("moments need the answers' own year among the group years")
    eny_params: list[object] = []
    school_filter = " AND e.school_code = ?" if school_code is not None else ""
    eny = _enrolled_years(group_years, eny_params, school_filter)
    if school_code is not None:
        eny_params.append(school_code)
    enrolled = conn.execute(f"WITH {eny} SELECT year, pupil_id, school_code, grade,"
                            " class_name FROM eny", eny_params).fetchall()
    where = "r.school_year = ?"
    params: list[object] = []
    head = ""
    if school_code is not None:
        head = f"WITH {eny} "
        params += eny_params
        where += " AND r.pupil_id IN (SELECT pupil_id FROM eny)"
    params.append(answer_year)
    answers = _answer_texts(conn, head, where, params)
    rule_of = _Positivity.read(conn, answer_year, rules)
    shares = _Shares.of(answers, rule_of)
    out = YearAggregates({}, [])
    if pupil_counts:
        out.pupil_counts.update(_pupil_counts(answers, rule_of, pupil_counts))
    for year in group_years:
        out.frames[year] = shares.class_totals([r[1:] for r in enrolled if r[0] == year])
    if len(group_years) == 2:
        first, second = group_years
        out = replace(out, pairs=shares.class_pairs(
            [r[1:] for r in enrolled if r[0] == first],
            [r[1:] for r in enrolled if r[0] == second]))
    if outcomes:
        own = {int(r[1]): str(r[2]) for r in enrolled if r[0] == answer_year}
        for o in OUTCOMES:
            if o in outcomes:
                out.moments.extend(shares.moments(o, own, _outcome(conn, o, answer_year)))
    return out


_SEP = "\x1f"
Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
# One answer as text: survey␟round␟item␟its SQL type␟a real's exact digits␟the answer as
# SQL's text (what the item master's 肯定的回答 are matched against).
_ANSWER_TEXT = (
    "r.survey_code || char(31) || coalesce(r.round, 1) || char(31) || r.item_code"
    " || char(31) || typeof(r.answer) || char(31) || CASE WHEN typeof(r.answer) = 'real'"
    " THEN printf('%!.17g', r.answer) ELSE '' END || char(31) || r.answer"
)


@dataclass(frozen=True)
class _Answers:
    """The year's answers: ``texts`` the distinct answers (``_ANSWER_TEXT``), ``pupil`` and
    ``code`` (an index into ``texts``) one per answer."""

    pupil: Int
    code: Int
    texts: list[str]


def _answer_texts(conn: Connection, head: str, where: str, params: Sequence[object]
                  ) -> _Answers:
    """Each distinct answer (``_ANSWER_TEXT``) once, with its pupils as one text ("," between
    them): some 240 rows instead of some 300,000, and no answer text per row to build or
    split (the grouping keys are the columns the text is made of, its type among them, so
    1 and 1.0 and '1' stay apart). A NULL answer is never positive."""
    where += (" AND r.answer IS NOT NULL AND r.item_code IS NOT NULL"
              " AND r.survey_code IS NOT NULL")
    rows = conn.execute(
        f"{head}SELECT {_ANSWER_TEXT}, group_concat(r.pupil_id, ',')"
        f" FROM ds_survey_responses r WHERE {where} GROUP BY r.survey_code,"
        " coalesce(r.round, 1), r.item_code, typeof(r.answer), r.answer", list(params)
    ).fetchall()
    texts: list[str] = []
    pupils: list[Int] = []
    codes: list[Int] = []
    for text, ids in rows:
        part = np.asarray(str(ids).split(","), dtype=np.int64)
        codes.append(np.full(len(part), len(texts), dtype=np.int64))
        pupils.append(part)
        texts.append(str(text))
    if not texts:
        empty = np.zeros(0, np.int64)
        return _Answers(empty, empty, [])
    return _Answers(np.concatenate(pupils), np.concatenate(codes), texts)


@dataclass(frozen=True)
class _Positivity:
    """Whether an answer counts as positive and under which domain (as the SQL of the
    karte and the extraction read it): the item master's 肯定的回答 of the year (its year's
    row first, then a year-less one; the answer as SQL's text among them), else each
    matching rule (a Q-U group among its categories, a numeric AiGROW score at or above
    its threshold), else not counted. Domain: the master's, else the rule's."""

    items: dict[tuple[str, str], tuple[str | None, str | None]]  # (pos, domain)
    rules: tuple[PositiveRule, ...]

    @staticmethod
    def read(conn: Connection, year: int, rules: Sequence[PositiveRule]) -> _Positivity:
        rows = conn.execute(f"WITH {ITEMS_CTE}, {_ITM} SELECT survey_code, item_code, pos,"
                            " domain FROM itm", (year,)).fetchall()
        return _Positivity({(str(r[0]), str(r[1])): (
            None if r[2] is None else str(r[2]), None if r[3] is None else str(r[3]))
            for r in rows}, tuple(rules))

    def entries(self, survey: str, item: str, kind: str, exact: str, text: str
                ) -> list[tuple[str, float]]:
        """(domain, 1.0 or 0.0) for each row the answer makes; an answer not counted makes
        none."""
        pos, domain = self.items.get((survey, item), (None, None))
        matched: list[PositiveRule | None] = [
            r for r in self.rules if r.survey_code == survey and r.item_code in ("*", item)]
        out = []
        for rule in matched or [None]:
            positive: bool | None = None
            if pos is not None:
                positive = f",{text}," in pos
            elif rule is not None and rule.categories:
                positive = f",{text}," in "," + ",".join(rule.categories) + ","
            elif rule is not None and rule.at_least is not None and kind in (
                    "integer", "real"):
                value = float(exact) if kind == "real" else int(text)
                positive = value >= rule.at_least
            if positive is None:
                continue
            where = domain if domain is not None else (
                rule.domain if rule is not None else None)
            out.append(("" if where is None else where, 1.0 if positive else 0.0))
        return out


def _pupil_counts(answers: _Answers, positivity: _Positivity,
                  wanted: Sequence[tuple[str, int]]
                  ) -> dict[tuple[str, int], dict[int, tuple[int, int]]]:
    """Per (survey, round) of ``wanted`` and pupil: answers to items with 肯定的回答 in the
    item master and how many of them are among those answers (the rules of instruments
    without it do not count here, as in the extraction)."""
    out: dict[tuple[str, int], dict[int, tuple[int, int]]] = {w: {} for w in wanted}
    if not answers.texts:
        return out
    target_of = {w: i for i, w in enumerate(wanted)}
    answer_code, texts, pupil_ids = answers.code, answers.texts, answers.pupil
    target = np.full(len(texts), -1, dtype=np.int64)
    positive = np.zeros(len(texts), dtype=np.int64)
    for j, text in enumerate(texts):
        survey, rnd, item, _kind, _exact, shown = str(text).split(_SEP, 5)
        t = target_of.get((survey, int(rnd)))
        pos = positivity.items.get((survey, item), (None, None))[0]
        if t is None or pos is None:
            continue
        target[j] = t
        positive[j] = int(f",{shown}," in pos)
    at = target[answer_code]
    ok = at >= 0
    n_targets = len(wanted)
    group, inverse = _groups(pupil_ids[ok] * n_targets + at[ok])
    k = np.bincount(inverse, weights=positive[answer_code][ok].astype(np.float64))
    m = np.bincount(inverse)
    for g, kk, mm in zip(group.tolist(), k.tolist(), m.tolist(), strict=True):
        out[wanted[g % n_targets]][g // n_targets] = (int(kk), int(mm))
    return out


def _groups(codes: Int) -> tuple[Int, Int]:
    """The distinct ``codes`` and each code's position among them (a hash, not a sort)."""
    inverse, group = pd.factorize(codes)
    return np.asarray(group, dtype=np.int64), np.asarray(inverse, dtype=np.int64)


@dataclass(frozen=True)
class _Shares:
    """Pupils' positive shares per item (several answers of an item, e.g. one per subject:
    positive ones over all) and per domain (the domain's positive answers over its answers;
    item code ""), as parallel arrays: ``pupil`` indexes ``pupils``, ``key`` indexes
    ``keys`` (survey, round, domain, item)."""

    pupils: Int
    keys: list[tuple[str, int, str, str]]
    pupil: Int
    key: Int
    share: Float

    @staticmethod
    def of(answers: _Answers, positivity: _Positivity) -> _Shares:
        """From each answer's pupil and text."""
        empty_i = np.zeros(0, np.int64)
        empty = _Shares(empty_i, [], empty_i, empty_i, np.zeros(0, np.float64))
        if not answers.texts:
            return empty
        pupil_code, pupil_values = pd.factorize(answers.pupil)
        pupils = np.asarray(pupil_values, dtype=np.int64)
        answer_code, texts = answers.code, answers.texts
        # Each distinct answer text makes zero, one (nearly always) or more rows (entries).
        item_of: dict[tuple[str, int, str, str], int] = {}
        entry_item: list[int] = []
        entry_positive: list[float] = []
        per_text = np.zeros(len(texts), dtype=np.int64)
        first = np.zeros(len(texts), dtype=np.int64)
        for j, text in enumerate(texts):
            survey, rnd, item, kind, exact, shown = str(text).split(_SEP, 5)
            first[j] = len(entry_item)
            for domain, positive in positivity.entries(survey, item, kind, exact, shown):
                entry_item.append(item_of.setdefault((survey, int(rnd), domain, item),
                                                     len(item_of)))
                entry_positive.append(positive)
                per_text[j] += 1
        if not entry_item:
            return empty
        per_answer = per_text[answer_code]
        rows = np.repeat(np.arange(len(answer_code), dtype=np.int64), per_answer)
        starts = np.cumsum(per_answer) - per_answer
        entry = first[answer_code][rows] + (np.arange(len(rows)) - np.repeat(starts,
                                                                               per_answer))
        pupil_code = np.asarray(pupil_code, dtype=np.int64)[rows]
        item_code = np.asarray(entry_item, dtype=np.int64)[entry]
        positive_of = np.asarray(entry_positive, dtype=np.float64)[entry]
        items = list(item_of)
        domain_of: dict[tuple[str, int, str, str], int] = {}
        item_domain = np.asarray([domain_of.setdefault((s, r, d, ""), len(domain_of))
                                  for s, r, d, _ in items], dtype=np.int64)
        n_items, n_domains = len(items), len(domain_of)
        # Per pupil and item: positive answers k over answers m.
        group, inverse = _groups(pupil_code * n_items + item_code)
        k = np.bincount(inverse, weights=positive_of)
        m = np.bincount(inverse).astype(np.float64)
        pupil_i = group // n_items
        key_i = group % n_items
        # Per pupil and domain: the sums of its items' k and m.
        dgroup, dinverse = _groups(pupil_i * n_domains + item_domain[key_i])
        dk = np.bincount(dinverse, weights=k)
        dm = np.bincount(dinverse, weights=m)
        return _Shares(
            pupils=pupils, keys=items + list(domain_of),
            pupil=np.concatenate([pupil_i, dgroup // n_domains]),
            key=np.concatenate([key_i, n_items + dgroup % n_domains]),
            share=np.concatenate([k / m, dk / dm]))

    def _by_pupil(self, pupil_ids: Sequence[int], codes: Int, fill: int = -1) -> Int:
        """``codes`` (one per id of ``pupil_ids``) per share row; ``fill`` for pupils not
        among the ids."""
        at = pd.Index(np.asarray(pupil_ids, dtype=np.int64)).get_indexer(
            pd.Index(self.pupils))
        per_pupil = np.where(at >= 0, codes[np.maximum(at, 0)], fill) if len(codes) \
            else np.full(len(self.pupils), fill, dtype=np.int64)
        return np.asarray(per_pupil[self.pupil], dtype=np.int64)

    def class_totals(self, enrolled: Sequence[tuple[object, ...]]) -> pd.DataFrame:
        """Shares added up per class (n, Σ share, pupils per share bin); ``enrolled``:
        (pupil, school, grade, class) rows of the group year."""
        if not enrolled or not len(self.share):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_FRAME_COLUMNS})
        classes: dict[tuple[str, int, str], int] = {}
        codes = np.asarray([classes.setdefault((str(r[1]), int(str(r[2])), str(r[3])),
                                               len(classes)) for r in enrolled], np.int64)
        cls = self._by_pupil([int(str(r[0])) for r in enrolled], codes)
        ok = cls >= 0
        n_keys = len(self.keys)
        group, inverse = _groups(cls[ok] * n_keys + self.key[ok])
        share = self.share[ok]
        bin_of = np.digitize(share, SHARE_BINS)  # 0: share < 0.2, …, 4: share >= 0.8
        columns: dict[str, object] = {}
        names = list(classes)
        at_class, at_key = group // n_keys, group % n_keys
        # Plain Python strings (object columns): the analysis turns every cell into a row
        # object, and Arrow-backed strings are slow to hand out one by one.
        for i, c in enumerate(("school_code", "grade", "class_name")):
            columns[c] = pd.Series(np.asarray([x[i] for x in names], dtype=object)[at_class],
                                   dtype=object)
        for i, c in enumerate(("survey_code", "round", "domain", "item_code")):
            columns[c] = pd.Series(np.asarray([x[i] for x in self.keys], dtype=object)[
                at_key], dtype=object)
        columns["n"] = np.bincount(inverse)
        columns["share_sum"] = np.bincount(inverse, weights=share)
        for i in range(len(SHARE_BINS) + 1):
            columns[f"bin{i}"] = np.bincount(inverse, weights=(bin_of == i).astype(
                np.float64), minlength=len(group)).astype(np.int64)
        frame = pd.DataFrame(columns).astype({"grade": np.int64, "round": np.int64})
        return frame.sort_values(list(GROUP_FRAME_COLUMNS[:7]), ignore_index=True)

    def class_pairs(self, first: Sequence[tuple[object, ...]],
                    second: Sequence[tuple[object, ...]]) -> pd.DataFrame:
        """Pupils counted per (class in ``first``, class in ``second``) and key: how the two
        groupings of the same answers overlap (a pupil without a class in one of the years
        has "" and -1 there)."""
        if not len(self.share):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS})
        classes: dict[tuple[str, int, str], int] = {("", -1, ""): 0}

        def codes(enrolled: Sequence[tuple[object, ...]]) -> Int:
            own = np.asarray([classes.setdefault((str(r[1]), int(str(r[2])), str(r[3])),
                                                 len(classes)) for r in enrolled], np.int64)
            return self._by_pupil([int(str(r[0])) for r in enrolled], own, fill=0)

        a, b = codes(first), codes(second)
        n_classes, n_keys = len(classes), len(self.keys)
        group, inverse = _groups((a * n_classes + b) * n_keys + self.key)
        names = list(classes)
        at_a, at_b = group // n_keys // n_classes, group // n_keys % n_classes
        at_key = group % n_keys
        columns: dict[str, object] = {}
        for side, at in (("r", at_a), ("c", at_b)):
            for i, c in enumerate(("school", "grade", "class")):
                columns[f"{side}_{c}"] = pd.Series(
                    np.asarray([x[i] for x in names], dtype=object)[at], dtype=object)
        for i, c in enumerate(("survey_code", "round", "domain", "item_code")):
            columns[c] = pd.Series(np.asarray([x[i] for x in self.keys], dtype=object)[
                at_key], dtype=object)
        columns["n"] = np.bincount(inverse)
        return pd.DataFrame(columns)

    def moments(self, outcome: str, school_of: dict[int, str], y: dict[int, float]
                ) -> list[OutcomeMoments]:
        """Per school and key: n, Σx, Σy, Σx², Σy², Σxy over the pupils with the outcome."""
        if not len(self.share):
            return []
        schools = sorted(set(school_of.values()))
        at = {s: i for i, s in enumerate(schools)}
        ids = list(school_of)
        school = self._by_pupil(ids, np.asarray([at[school_of[p]] for p in ids], np.int64))
        per_pupil = np.asarray([y.get(int(p), np.nan) for p in self.pupils.tolist()],
                               dtype=np.float64)
        ys = per_pupil[self.pupil]
        ok = (school >= 0) & ~np.isnan(ys)
        n_keys = len(self.keys)
        group, inverse = _groups(school[ok] * n_keys + self.key[ok])
        xs, ys = self.share[ok], ys[ok]
        n = np.bincount(inverse)
        sx, sy, sxx, syy, sxy = (np.bincount(inverse, weights=w)
                                 for w in (xs, ys, xs * xs, ys * ys, xs * ys))
        out = []
        for j, g in enumerate(group.tolist()):
            survey, rnd, domain, item = self.keys[g % n_keys]
            out.append(OutcomeMoments(outcome, MomentRow(
                schools[g // n_keys], survey, rnd, domain, int(n[j]), float(sx[j]),
                float(sy[j]), float(sxx[j]), float(syy[j]), float(sxy[j]), item_code=item)))
        out.sort(key=lambda o: (o.row.school_code, o.row.survey_code, o.row.round,
                                o.row.domain, o.row.item_code))
        return out


def _outcome(conn: Connection, outcome: str, year: int) -> dict[int, float]:
    """Each pupil's outcome in ``year``: growth in mean 県学調 level from the year before, or
    absence in percent of school days."""
    if outcome == "growth":
        sql = (f"WITH {_LEVELS} SELECT c.pupil_id, c.level - p.level FROM lv c"
               " JOIN lv p ON p.pupil_id = c.pupil_id AND p.school_year = ?"
               " WHERE c.school_year = ?")
        params: list[object] = [year, year - 1, year - 1, year]
    else:
        sql = ("SELECT pupil_id, 100.0 * sum(absence_days) / sum(school_days)"
               " FROM ds_attendance_monthly WHERE school_year = ? AND school_days > 0"
               " GROUP BY pupil_id")
        params = [year]
    return {int(r[0]): float(r[1]) for r in conn.execute(sql, params) if r[1] is not None}


def positivity_groups(
    conn: Connection, answer_year: int, group_years: Sequence[int],
    rules: Sequence[PositiveRule], *, school_code: str | None = None,
) -> list[PositivityGroup]:
    """The class totals of ``year_aggregates`` alone."""
    return year_aggregates(conn, answer_year, group_years, rules,
                           school_code=school_code).groups


def correlation_moments(conn: Connection, school_year: int, rules: Sequence[PositiveRule],
                        outcomes: Sequence[str] = OUTCOMES) -> list[OutcomeMoments]:
    """The moments of ``year_aggregates`` alone (per school, survey, round and domain)."""
    return year_aggregates(conn, school_year, (school_year,), rules,
                           outcomes=outcomes).moments


@dataclass(frozen=True)
class AbsenceRow:
    school_code: str
    pupils: int
    absence_days: float
    school_days: float


def absence_by_school(conn: Connection, school_year: int) -> list[AbsenceRow]:
    """Absence days and school days of each school's pupils in the year."""
    sql = (
        f"WITH {_enrolled()} SELECT en.school_code, count(DISTINCT a.pupil_id),"
        " sum(a.absence_days), sum(a.school_days) FROM ds_attendance_monthly a"
        " JOIN en ON en.pupil_id = a.pupil_id WHERE a.school_year = ?"
        " GROUP BY en.school_code ORDER BY en.school_code")
    return [AbsenceRow(str(r[0]), int(r[1]), float(r[2] or 0), float(r[3] or 0))
            for r in conn.execute(sql, (school_year, school_year))]


# -- basic information ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContextRow:
    """A row of 学校基礎情報 (school lane): grade None for the whole school."""

    school_year: int
    school_code: str
    grade: int | None
    pupils: int | None
    staff: int | None
    welfare_rate: float | None
    special_needs_rate: float | None
    japanese_support_rate: float | None


def _opt_int(v: object) -> int | None:
    return None if v is None or v == "" else int(float(str(v)))


def _opt_float(v: object) -> float | None:
    return None if v is None or v == "" else float(str(v))


def context_rows(conn: Connection, school_code: str | None = None) -> list[ContextRow]:
    """学校基礎情報 rows without a class (school and grade rows), by school, year and grade.
    Runs on the school lane (nothing joins it with pupil tables)."""
    sql = ("SELECT school_year, school_code, grade, max(pupil_count), max(staff_count),"
           " max(welfare_rate), max(special_needs_rate), max(japanese_support_rate)"
           " FROM ds_school_context WHERE (class_name IS NULL OR class_name = '')")
    params: list[object] = []
    if school_code is not None:
        sql += " AND school_code = ?"
        params.append(school_code)
    sql += " GROUP BY school_year, school_code, grade ORDER BY school_code, school_year, grade"
    return [ContextRow(int(r[0]), str(r[1]), _opt_int(r[2]), _opt_int(r[3]), _opt_int(r[4]),
                       _opt_float(r[5]), _opt_float(r[6]), _opt_float(r[7]))
            for r in conn.execute(sql, params)]


def class_counts(conn: Connection) -> dict[tuple[str, int], int]:
    """(school, year) → number of classes (distinct grade and class among enrollments)."""
    return {(str(r[0]), int(r[1])): int(r[2]) for r in conn.execute(
        "SELECT school_code, school_year, count(DISTINCT grade || '-' || coalesce(class_name, ''))"
        " FROM ds_enrollments WHERE school_code IS NOT NULL GROUP BY school_code, school_year")}


# -- push-support counts --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    """A count per school, grade, class and calendar month ("YYYY-MM"); ``status`` the alert's
    latest mark ("" none yet) or the consultation type."""

    school_code: str
    grade: int
    class_name: str
    month: str
    status: str
    count: int


def alert_counts(conn: Connection, school_year: int, top: int) -> list[MonthCount]:
    """Alerts of each month's shown list (the latest model that scored the month, places up
    to ``top`` per school) by the pupils' class and the alert's latest mark."""
    months = [f"{school_year}-{m:02d}" for m in range(4, 13)] + [
        f"{school_year + 1}-{m:02d}" for m in range(1, 4)]
    marks = ",".join("?" for _ in months)
    sql = (
        f"WITH {_enrolled()}, shown AS (SELECT month, max(model_id) AS model_id"
        f" FROM risk_alerts WHERE month IN ({marks}) GROUP BY month)"
        " SELECT a.school_code, coalesce(en.grade, 0), coalesce(en.class_name, ''), a.month,"
        " coalesce((SELECT s.status FROM risk_alert_status s WHERE s.alert_id = a.id"
        " ORDER BY s.id DESC LIMIT 1), '') AS mark, count(*)"
        " FROM risk_alerts a JOIN shown ON shown.month = a.month"
        " AND shown.model_id = a.model_id LEFT JOIN en ON en.pupil_id = a.pupil_id"
        " WHERE a.rank <= ? GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")
    params: list[object] = [school_year, *months, top]
    return [MonthCount(str(r[0]), int(r[1]), str(r[2]), str(r[3])[:7], str(r[4]), int(r[5]))
            for r in conn.execute(sql, params)]


def consultation_counts(conn: Connection, school_year: int) -> list[MonthCount]:
    """Consultations (教育相談・SC/SSW) of the school year by the pupils' class, month and type."""
    sql = (
        f"WITH {_enrolled()} SELECT en.school_code, en.grade, en.class_name,"
        " substr(c.consult_date, 1, 7), coalesce(c.consult_type, ''), count(*)"
        " FROM ds_consultations c JOIN en ON en.pupil_id = c.pupil_id"
        " WHERE c.consult_date >= ? AND c.consult_date < ?"
        " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")
    params = (school_year, school_year_start(school_year).isoformat(),
              school_year_start(school_year + 1).isoformat())
    return [MonthCount(str(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]))
            for r in conn.execute(sql, params)]


def has_table(conn: Connection, table: str) -> bool:
    """Whether a table is attached on this connection (a group whose key is not held is
    not)."""
    for schema in [str(r[1]) for r in conn.execute("PRAGMA database_list")]:
        row = conn.execute(
            f'SELECT 1 FROM "{schema}".sqlite_master WHERE type = \'table\' AND name = ?',
            (table,)).fetchone()
        if row is not None:
            return True
    return False


def class_sizes(conn: Connection, school_year: int) -> list[tuple[str, int, str, int]]:
    """(school, grade, class, pupils) of the school year (each pupil's last enrollment)."""
    return [(str(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in conn.execute(
        f"WITH {_enrolled()} SELECT school_code, grade, class_name, count(*) FROM en"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", (school_year,))]
