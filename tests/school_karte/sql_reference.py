"""The school karte's class totals and moments as they were computed before the fast path
(issue 15): everything in one SQL statement over the answers. Kept here only as the
reference the fast path (``storage.repos.school_karte.year_aggregates``) must equal."""

from __future__ import annotations

from collections.abc import Sequence

from storage.connection import Connection
from storage.repos.karte import ITEMS_CTE
from storage.repos.school_karte import (
    _ITM,
    _LEVELS,
    OUTCOMES,
    SHARE_BINS,
    MomentRow,
    OutcomeMoments,
    PositiveRule,
    PositivityGroup,
    _enrolled_years,
)


def _rules_cte(rules: Sequence[PositiveRule], params: list[object]) -> str:
    values = []
    for r in rules:
        values.append("(?, ?, ?, ?, ?)")
        params.extend([r.survey_code, r.item_code, r.domain,
                       "," + ",".join(r.categories) + "," if r.categories else None,
                       r.at_least])
    if not values:
        return ("rules(survey_code, item_code, domain, cats, at_least) AS"
                " (SELECT NULL, NULL, NULL, NULL, NULL WHERE 0)")
    return ("rules(survey_code, item_code, domain, cats, at_least) AS (VALUES "
            + ", ".join(values) + ")")


POSITIVE = (
    "CASE WHEN itm.pos IS NOT NULL THEN instr(itm.pos, ',' || r.answer || ',') > 0"
    " WHEN ru.cats IS NOT NULL THEN instr(ru.cats, ',' || r.answer || ',') > 0"
    " WHEN ru.at_least IS NOT NULL AND typeof(r.answer) IN ('integer', 'real')"
    " THEN r.answer >= ru.at_least END"
)


def _answers(where: str) -> str:
    """``itm``: each item's positive answers and domain in the year (its year's master row
    first, then a year-less one; one parameter: the year); ``ans``: each answer with its
    domain and whether it is positive (NULL: not counted)."""
    return (
        f" {_ITM}, ans AS (SELECT r.pupil_id, r.survey_code, coalesce(r.round, 1) AS round,"
        " r.item_code, coalesce(itm.domain, ru.domain, '') AS domain,"
        f" {POSITIVE} AS pos FROM ds_survey_responses r"
        " LEFT JOIN itm ON itm.survey_code = r.survey_code AND itm.item_code = r.item_code"
        " LEFT JOIN rules ru ON ru.survey_code = r.survey_code"
        f" AND ru.item_code IN ('*', r.item_code) WHERE {where})"
    )


def reference_year_aggregates(
    conn: Connection, answer_year: int, group_years: Sequence[int],
    rules: Sequence[PositiveRule], *, school_code: str | None = None,
    outcomes: Sequence[str] = (),
) -> tuple[list[PositivityGroup], list[OutcomeMoments]]:
    """``year_aggregates`` as it was: one SQL statement (same arguments, same result)."""
    if any(o not in OUTCOMES for o in outcomes):
        raise ValueError(outcomes)
    if outcomes and answer_year not in group_years:
        raise ValueError("moments need the answers' own year among the group years")
    params: list[object] = []
    rules_sql = _rules_cte(rules, params)
    school_filter = " AND e.school_code = ?" if school_code is not None else ""
    eny = _enrolled_years(group_years, params, school_filter)
    if school_code is not None:
        params.append(school_code)
    ctes = []
    if "growth" in outcomes:
        ctes.append(
            f"{_LEVELS}, yg AS MATERIALIZED (SELECT c.pupil_id, c.level - p.level AS y FROM lv c"
            " JOIN lv p ON p.pupil_id = c.pupil_id AND p.school_year = ?"
            " WHERE c.school_year = ?)")
        params += [answer_year, answer_year - 1, answer_year - 1, answer_year]
    if "absence" in outcomes:
        ctes.append(
            "ya AS MATERIALIZED (SELECT pupil_id, 100.0 * sum(absence_days) / sum(school_days)"
            " AS y"
            " FROM ds_attendance_monthly WHERE school_year = ? AND school_days > 0"
            " GROUP BY pupil_id)")
        params.append(answer_year)
    where = "r.school_year = ?"
    params += [answer_year, answer_year]  # the item master's year, the answers' year
    if school_code is not None:
        where += " AND r.pupil_id IN (SELECT pupil_id FROM eny)"
    bins = ", ".join(
        f"sum(share >= {lo} AND share < {hi})" if lo else f"sum(share < {hi})"
        for lo, hi in zip((0.0, *SHARE_BINS[:-1]), SHARE_BINS, strict=True))
    selects = [
        "SELECT 'groups', eny.year, eny.school_code, eny.grade, eny.class_name,"
        " s.survey_code, s.round, s.domain, s.item_code, count(*), sum(s.share),"
        f" {bins}, sum(s.share >= {SHARE_BINS[-1]})"
        + (", NULL, NULL, NULL, NULL, NULL" if outcomes else "")
        + " FROM shares s JOIN eny ON eny.pupil_id = s.pupil_id"
        " GROUP BY eny.year, eny.school_code, eny.grade, eny.class_name, s.survey_code,"
        " s.round, s.domain, s.item_code"]
    if outcomes:
        # Both outcomes in one join: each its own n (pupils with that outcome).
        sums = []
        joins = []
        for o in OUTCOMES:
            if o in outcomes:
                y = "yg" if o == "growth" else "ya"
                joins.append(f" LEFT JOIN {y} ON {y}.pupil_id = x.pupil_id")
                sums.append(
                    f"count({y}.y), sum(CASE WHEN {y}.y IS NOT NULL THEN x.share END),"
                    f" sum({y}.y), sum(CASE WHEN {y}.y IS NOT NULL THEN x.share * x.share END),"
                    f" sum({y}.y * {y}.y), sum(x.share * {y}.y)")
            else:
                sums.append("0, 0, 0, 0, 0, 0")
        selects.append(
            "SELECT 'moments', NULL, en.school_code, NULL, NULL, x.survey_code, x.round,"
            f" x.domain, x.item_code, {', '.join(sums)}"
            " FROM shares x JOIN eny en ON en.pupil_id = x.pupil_id AND en.year = ?"
            + "".join(joins)
            + " GROUP BY en.school_code, x.survey_code, x.round, x.domain, x.item_code")
        params.append(answer_year)
    sql = (
        f"WITH {ITEMS_CTE}, {rules_sql}, {eny}, {''.join(c + ', ' for c in ctes)}"
        f"{_answers(where)},"
        # Each pupil's positive answers and answers per item (several subjects: several),
        # and per domain.
        " pi AS MATERIALIZED (SELECT pupil_id, survey_code, round, domain, item_code,"
        " sum(pos) AS k, count(*) AS m FROM ans WHERE pos IS NOT NULL"
        " GROUP BY pupil_id, survey_code, round, domain, item_code),"
        " pd AS MATERIALIZED (SELECT pupil_id, survey_code, round, domain,"
        " 1.0 * sum(k) / sum(m) AS share FROM pi GROUP BY pupil_id, survey_code, round,"
        " domain),"
        " shares AS (SELECT pupil_id, survey_code, round, domain, item_code,"
        " 1.0 * k / m AS share FROM pi UNION ALL SELECT pupil_id, survey_code, round, domain,"
        " '', share FROM pd) "
        + " UNION ALL ".join(selects)
    )
    groups: list[PositivityGroup] = []
    moments: list[OutcomeMoments] = []
    for r in conn.execute(sql, params):
        if r[0] == "groups":
            groups.append(PositivityGroup(
                group_year=int(r[1]), school_code=str(r[2]), grade=int(r[3]),
                class_name=str(r[4]), survey_code=str(r[5]), round=int(r[6]),
                domain=str(r[7]), item_code=str(r[8]), n=int(r[9]), share_sum=float(r[10]),
                bins=(int(r[11]), int(r[12]), int(r[13]), int(r[14]), int(r[15]))))
        else:
            for k, o in enumerate(OUTCOMES):
                base = 9 + 6 * k
                if o not in outcomes or not r[base]:
                    continue
                moments.append(OutcomeMoments(o, MomentRow(
                    str(r[2]), str(r[5]), int(r[6]), str(r[7]), int(r[base]),
                    float(r[base + 1]), float(r[base + 2]), float(r[base + 3]),
                    float(r[base + 4]), float(r[base + 5]), item_code=str(r[8]))))
    return groups, moments
