"""Positivity of the instruments that are not choices, on their real exports: a Q-U pupil is
positive in 学級生活満足群 (the two scores are not counted), an AiGROW competency at 50 or more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.repos.school_karte import positivity_groups
from tests.importing.helpers import lead_on_new_store
from tests.importing.test_instruments import AIGROW, QU, commit
from tests.importing.test_real_file_layouts import import_base
from toda_desktop.composition import SignedIn
from toda_desktop.school_karte.rules import AIGROW_DOMAIN, QU_DOMAIN, RULES


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    with lead_on_new_store(store_path) as signed:
        import_base(signed)
        commit(signed, QU)
        commit(signed, AIGROW)
        yield signed


@pytest.mark.slow
def test_q_u_counts_the_satisfied_group_and_aigrow_scores_of_fifty_or_more(
    signed: SignedIn,
) -> None:
    groups = signed.store.db.call(
        lambda c: positivity_groups(c, 2024, (2024,), RULES), kind="survey_responses")
    got = {(g.survey_code, g.domain, g.item_code): (g.n, round(g.share_sum, 6))
           for g in groups}
    # Q-U 3年1組: 満足群 1 of 4; 承認得点・被侵害得点 are no positivity at all
    assert got[("QU", QU_DOMAIN, "GROUP")] == (4, 1.0)
    assert got[("QU", QU_DOMAIN, "")] == (4, 1.0)
    assert not any(k[0] == "QU" and k[2] in ("APPROVAL", "INFRINGEMENT") for k in got)
    # AiGROW: 自己効力感 55, 38, 63 → 2 of 3; the domain averages each pupil's five scores
    # (4/5, 0/5, 5/5); the pupil without scores is no answer
    assert got[("AIGROW", AIGROW_DOMAIN, "SELF_EFFICACY")] == (3, 2.0)
    assert got[("AIGROW", AIGROW_DOMAIN, "")] == (3, 1.8)


@pytest.mark.slow
def test_a_store_with_registers_and_a_few_answers_gives_suppressed_cells_and_notes(
    signed: SignedIn,
) -> None:
    """No 県学調, no 学校基礎情報, a class of four: nothing to show, nothing breaks."""
    service = signed.school_karte
    city = service.city_view(2024)
    assert [s.code for s in city.schools] == ["1101", "2101"]
    assert city.results and all(r.current.suppressed for r in city.results)
    assert city.growth is not None and city.growth.effects == ()
    assert city.growth.warnings  # too few schools: said, not raised
    karte = service.school_karte("1101", 2024)
    assert karte.basic_info == () and all(r.current.suppressed for r in karte.results)
    assert {s.code for s in karte.surveys} == {"QU"}
