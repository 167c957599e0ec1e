"""A pupil's engagement with school in each school year, shared by the 県学調 and the surveys.

Real pupils have years that go worse than others: the April 県学調 comes out below what their
ability would give, and their answers to the lesson and happiness surveys fall between the
first and the later rounds. Without it the demo city's levels rose almost every pupil's every
year and the two surveys fell independently, so the city's push-support preset (level the
same or lower, both surveys falling) found almost nobody — unlike a real city, where it picks
out a few percent of pupils. Standard normal per pupil and school year (positive: a worse
year), from a stream of its own so that every other part of the city draws what it drew.
"""

from __future__ import annotations

from toda_desktop.demo.rng import stream
from toda_desktop.demo.world import FloatArray


def engagement_dip(seed: int, n_pupils: int, n_years: int) -> FloatArray:
    """[pupil, year_idx]: how much worse than usual the pupil's school year goes (SD units)."""
    return stream(seed, "engagement").standard_normal((n_pupils, n_years))
