"""The push-support count's quick paths give what the extraction engine's full evaluation
gives, on a small demo city: both rounds of an instrument read in one pass equal each round
read alone, an evaluation without the per-pupil values matches the same pupils, and the
school karte's counts taken from its survey totals' read equal the engine's per class."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.connection import Connection
from storage.repos import extraction as repo
from storage.repos import school_karte as sk_repo
from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.extraction.engine import evaluate
from toda_desktop.extraction.model import Change, Extraction, Group, Period, SurveyPositivity
from toda_desktop.extraction.presets import PushSupportOptions, push_support_preset
from toda_desktop.school_karte.rules import RULES
from toda_desktop.school_karte.service import SchoolKarteService, _push_pairs, _survey_matches

pytestmark = pytest.mark.slow  # one small demo city for the module


@pytest.fixture(scope="module")
def director(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[SignedIn]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("skpush") / "demo.tdb")
    signed = sign_in(path, "director")
    yield signed
    signed.sign_out()


def _year(signed: SignedIn) -> int:
    year = signed.context.db.read(repo.latest_school_year, kind="enrollments")
    assert year is not None
    return year


def test_rounds_read_in_one_pass_equal_each_round_read_alone(director: SignedIn) -> None:
    ctx = director.context
    kind = ctx.registry.kind("survey_responses")
    year = _year(director)

    def both(conn: Connection) -> None:
        for survey, subject in (("LESSON", None), ("HAPPY", None), ("LESSON", "国語")):
            together = repo.survey_positivity_rounds(
                conn, kind, repo.Scope(school_year=year), [1, 2], survey, subject=subject)
            for rnd in (1, 2):
                alone = repo.survey_positivity(conn, kind, repo.Scope(school_year=year,
                                                                      round=rnd), survey,
                                               subject=subject)
                assert together[rnd] == alone
            if survey == "HAPPY":
                assert together[1] and together[2]  # the small city has the answers

    ctx.db.read(both, kind="survey_responses")


@pytest.mark.parametrize("options", [
    PushSupportOptions(),
    PushSupportOptions(lesson_min_drop=5.0, happy_from_round=2, happy_to_round=2),
    PushSupportOptions(no_long_absence=False, academic=False),
])
def test_an_evaluation_without_values_matches_the_same_pupils(
        director: SignedIn, options: PushSupportOptions) -> None:
    ctx = director.context
    year = _year(director)
    preset = push_support_preset(options, school_year=year)

    def run(conn: Connection) -> None:
        full = evaluate(conn, ctx.registry, preset, year)
        quick = evaluate(conn, ctx.registry, preset, year, explain=False)
        assert quick.matched == full.matched
        assert quick.population == full.population
        assert [o.matched for o in quick.outcomes] == [o.matched for o in full.outcomes]
        assert any(o.matched for o in full.outcomes)  # something to compare

    ctx.db.read(run, kind="survey_responses")


def test_a_change_across_years_still_reads_each_side(director: SignedIn) -> None:
    """Rounds of different years are not one pass: the engine reads each side."""
    ctx = director.context
    year = _year(director)
    leaf = Change(measure=SurveyPositivity("HAPPY"), before=Period(-1, round=2),
                  after=Period(0, round=1), direction="fell")
    ex = Extraction(name="t", root=Group("and", (leaf,)), school_year=year)

    def run(conn: Connection) -> None:
        full = evaluate(conn, ctx.registry, ex, year)
        quick = evaluate(conn, ctx.registry, ex, year, explain=False)
        assert quick.matched == full.matched and full.outcomes[0].values

    ctx.db.read(run, kind="survey_responses")


def test_the_karte_counts_pupils_meeting_the_criteria_as_the_extraction_does(
        director: SignedIn) -> None:
    """The school karte takes the survey criteria from its own read of the answers; per
    class it counts the same pupils as the extraction engine's full evaluation."""
    ctx = director.context
    year = _year(director)
    service = SchoolKarteService(ctx)
    assert _push_pairs(year)  # the quick path is taken
    with service._pinned():
        matched, enrolled = service._push_support(year)

    def full(conn: Connection) -> object:
        return evaluate(conn, ctx.registry, push_support_preset(school_year=year), year)

    ev = ctx.db.read(full, kind="survey_responses")
    want: dict[tuple[object, ...], int] = {}
    sizes: dict[tuple[object, ...], int] = {}
    for pid, p in ev.population.items():
        k = (p.school_code or "", p.grade or 0, p.class_name or "")
        sizes[k] = sizes.get(k, 0) + 1
        if pid in ev.matched:
            want[k] = want.get(k, 0) + 1
    assert enrolled == sizes
    assert matched == want
    assert ev.matched  # the small city has a few pupils meeting all three criteria
    # The survey criteria alone are met by the same pupils on both paths.
    universe = frozenset(ev.population)
    engine_survey = universe
    for leaf, outcome in zip(ev.leaves, ev.outcomes, strict=True):
        if isinstance(leaf, Change) and isinstance(leaf.measure, SurveyPositivity):
            engine_survey = engine_survey & outcome.matched
    with service._pinned():
        counts = service._aggregates(year, year).pupil_counts
    assert _survey_matches(year, counts, universe) == engine_survey
    assert engine_survey


def test_each_pupils_survey_counts_from_the_totals_read_equal_the_extractions(
        director: SignedIn) -> None:
    ctx = director.context
    year = _year(director)
    kind = ctx.registry.kind("survey_responses")
    pairs = (("LESSON", 1), ("LESSON", 2), ("HAPPY", 1), ("HAPPY", 2), ("QU", 1))

    def both(conn: Connection) -> None:
        agg = sk_repo.year_aggregates(conn, year, (year,), RULES, pupil_counts=pairs)
        for survey, rnd in pairs:
            assert agg.pupil_counts[(survey, rnd)] == repo.survey_positivity(
                conn, kind, repo.Scope(school_year=year, round=rnd), survey)

    ctx.db.read(both, kind="survey_responses")
