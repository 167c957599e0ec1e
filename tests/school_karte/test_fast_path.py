"""The fast path of the school karte's totals (numpy over one read of the answers) gives the
values the earlier all-SQL statement gave, on a small demo city: the class totals, the
correlation moments, and the city view and a school karte built from them."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from storage.connection import Connection
from storage.registry import Registry
from storage.repos import extraction as extraction_repo
from storage.repos import school_karte as repo
from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from tests.school_karte.sql_reference import reference_year_aggregates
from toda_desktop.composition import SignedIn
from toda_desktop.errors import OperationCancelled
from toda_desktop.school_karte.rules import RULES
from toda_desktop.school_karte.service import SchoolKarteService

pytestmark = pytest.mark.slow  # one small demo city for the module


@pytest.fixture(scope="module")
def director(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[SignedIn]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("skfast") / "demo.tdb")
    signed = sign_in(path, "director")
    yield signed
    signed.sign_out()


def _flat(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(_flat(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, tuple | list):
        return tuple(_flat(v) for v in value)
    return value


def _same(a: object, b: object) -> bool:
    """Equal, floats to 1e-9 (sums in another order differ in the last bits); NaN is NaN
    (the growth model's coefficient on the small city)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _diff(a: object, b: object, path: str = "") -> str | None:
    """Where two flattened values first differ (the failure message)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return f"{path}: len {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if _same(a, b) else f"{path}: {a!r} != {b!r}"


FAST_AGGREGATES = repo.year_aggregates  # before a test puts the reference in its place


def _reference(conn: Connection, answer_year: int, group_years: tuple[int, ...],
               rules: tuple[repo.PositiveRule, ...], *, school_code: str | None = None,
               outcomes: tuple[str, ...] = (),
               pupil_counts: tuple[tuple[str, int], ...] = (),
               registry: Registry | None = None) -> repo.YearAggregates:
    """The earlier statement's result in the fast path's shape; the push-support criteria's
    per-pupil counts as the extraction's own query reads them."""
    groups, moments = reference_year_aggregates(
        conn, answer_year, group_years, rules, school_code=school_code, outcomes=outcomes)
    frames = {}
    for year in group_years:
        rows = [(g.school_code, g.grade, g.class_name, g.survey_code, g.round, g.domain,
                 g.item_code, g.n, g.share_sum, *g.bins)
                for g in groups if g.group_year == year]
        if rows:
            frames[year] = pd.DataFrame(rows, columns=list(repo.GROUP_FRAME_COLUMNS))
    counts = {}
    if pupil_counts:
        assert registry is not None
        kind = registry.kind("survey_responses")
        counts = {(survey, rnd): extraction_repo.survey_positivity(
            conn, kind, extraction_repo.Scope(school_year=answer_year, round=rnd), survey)
            for survey, rnd in pupil_counts}
    # The disclosure audit's atoms (pupils per class of both years) have no earlier
    # statement: the fast path's, checked against the class totals below.
    pairs = FAST_AGGREGATES(conn, answer_year, group_years, rules,
                            school_code=school_code).pairs
    return repo.YearAggregates(frames, moments, counts, pairs)


@pytest.mark.parametrize("case", ["this year with outcomes", "last year by both years",
                                  "one school"])
def test_the_fast_totals_equal_the_earlier_sql_totals(director: SignedIn, case: str) -> None:
    db = director.context.db
    year = director.school_karte.school_years()[-1]
    school = director.school_karte.schools()[0].code
    cases: dict[str, dict[str, Any]] = {
        "this year with outcomes": {"answer_year": year, "group_years": (year,),
                                    "outcomes": ("growth", "absence")},
        "last year by both years": {"answer_year": year - 1, "group_years": (year - 1, year)},
        "one school": {"answer_year": year - 1, "group_years": (year - 1, year),
                       "school_code": school},
    }
    kwargs = cases[case]
    fast = db.read(functools.partial(repo.year_aggregates, rules=RULES, **kwargs),
                   kind="survey_responses")
    before = db.read(functools.partial(_reference, rules=RULES, **kwargs),
                     kind="survey_responses")
    assert fast.groups, "the small city has answers"
    assert _same(_flat(fast.groups), _flat(before.groups))
    # Sorted by what names a row (outcome, school, survey, round, domain, item), not by its
    # sums, whose last bits differ with the order they were added in.
    def name(m: Any) -> str:
        return repr((m[0], m[1][:4], m[1][-1]))

    fast_moments = sorted((_flat(m) for m in fast.moments), key=name)
    before_moments = sorted((_flat(m) for m in before.moments), key=name)
    assert _same(tuple(fast_moments), tuple(before_moments))
    if "outcomes" in kwargs:
        assert fast.moments


def test_the_pupils_by_class_of_both_years_add_up_to_each_years_class_totals(
        director: SignedIn) -> None:
    db = director.context.db
    year = director.school_karte.school_years()[-1]
    agg = db.read(functools.partial(repo.year_aggregates, answer_year=year - 1,
                                    group_years=(year - 1, year), rules=RULES),
                  kind="survey_responses")
    assert agg.pairs is not None and not agg.pairs.empty
    keys = ["survey_code", "round", "domain", "item_code"]
    for side, group_year in (("r", year - 1), ("c", year)):
        own = agg.pairs[agg.pairs[f"{side}_grade"] >= 0]
        summed = own.groupby([f"{side}_school", f"{side}_grade", f"{side}_class", *keys])[
            "n"].sum().sort_index()
        frame = agg.frames[group_year].set_index(
            ["school_code", "grade", "class_name", *keys])["n"].sort_index()
        assert summed.tolist() == frame.tolist()
        assert [tuple(map(str, k)) for k in summed.index] == [
            tuple(map(str, k)) for k in frame.index]
    # Pupils who left the city have no class the next year: they are counted all the same.
    assert (agg.pairs["c_grade"] < 0).any()


def test_the_city_view_and_a_school_karte_are_the_same_as_before(
    director: SignedIn, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = director.context
    code = director.school_karte.schools()[0].code
    fast = SchoolKarteService(ctx)
    fast_views = (fast.city_view(), fast.school_karte(code))
    monkeypatch.setattr(repo, "year_aggregates",
                        functools.partial(_reference, registry=ctx.registry))
    before = SchoolKarteService(ctx)
    before_views = (before.city_view(), before.school_karte(code))
    assert fast_views[0].results and fast_views[1].results
    for new, old in zip(fast_views, before_views, strict=True):
        assert _same(_flat(new), _flat(old)), _diff(_flat(new), _flat(old))



def test_a_cancelled_view_leaves_no_read_behind_and_the_next_view_is_whole(
        director: SignedIn) -> None:
    """The reads a view starts run on while it builds; a view cancelled after they started
    waits for them before it returns, and the next view of the same service equals a fresh
    service's."""
    ctx = director.context
    service = SchoolKarteService(ctx)
    with pytest.raises(OperationCancelled):
        service.city_view(cancel=lambda: True)
    assert not service._pending
    again = service.city_view()
    fresh = SchoolKarteService(ctx).city_view()
    assert _same(_flat(again), _flat(fresh)), _diff(_flat(again), _flat(fresh))
