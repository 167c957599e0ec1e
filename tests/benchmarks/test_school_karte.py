"""The school karte on the full demo city (issue 15; goals: a school karte under 500 ms, the
city view under 2 s).

Figures, each printed with its ratio to a baseline measured in the same run — one scan of the
school year's survey answers (``SELECT count(*), sum(answer)`` over the year), the least any
survey aggregate must read — so that a slow or busy machine shows in both:

- the city view cold: a fresh service (nothing cached), as the first open of a session;
- a school karte cold: a fresh service, one school;
- a school karte after the city view: the drill-down the page offers (the city's totals are
  kept per data version in the session; the school's own cells, growth and counts are
  sliced from them).

Bars asserted: the city view cold under 2 s; a school karte after the city view under
500 ms (median over the schools). A school karte cold reads the whole city's answers for
the city values, so it is held to the city view's bar (2 s), not to 500 ms.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_school_karte.py``
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.benchmarks.conftest import median_seconds, report
from tests.conftest import TEST_SCRYPT_N
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.school_karte.service import SchoolKarteService
from toda_desktop.store_setup import create_demo_store

KARTE_TARGET = 0.500
CITY_TARGET = 2.0


@pytest.fixture(scope="module")
def director(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedIn]:
    path = tmp_path_factory.mktemp("bench-school-karte") / "city.tdb"
    start = time.perf_counter()
    create_demo_store(path, seed=1, scrypt_n=TEST_SCRYPT_N).store.close()
    print(f"\n[benchmark] full demo city made in {time.perf_counter() - start:.1f} s")
    signed = sign_in(path, "director")
    yield signed
    signed.sign_out()


def _baseline(signed: SignedIn, year: int) -> float:
    db = signed.context.db
    return median_seconds(lambda: db.read(lambda c: c.execute(
        "SELECT count(*), sum(answer) FROM ds_survey_responses WHERE school_year = ?",
        (year,)).fetchone(), kind="survey_responses"), repeat=5)


@pytest.mark.timeout(3600)  # the full city is made first; a busy machine is slow
def test_city_view_and_school_karte_on_the_full_city(director: SignedIn) -> None:
    ctx = director.context
    service = SchoolKarteService(ctx)
    year = service.school_years()[-1]
    codes = [s.code for s in service.schools()]
    baseline = _baseline(director, year)
    city = median_seconds(lambda: SchoolKarteService(ctx).city_view(), repeat=5)
    report("school karte: city view, cold service", city, baseline, "scan of a year's answers")
    cold = median_seconds(lambda: SchoolKarteService(ctx).school_karte(codes[0]), repeat=5)
    report("school karte: one school, cold service", cold, baseline, "scan of a year's answers")
    warm_service = SchoolKarteService(ctx)
    warm_service.city_view()
    times = []
    for code in codes:
        start = time.perf_counter()
        karte = warm_service.school_karte(code)
        times.append(time.perf_counter() - start)
        assert karte.school.code == code and karte.results
    times.sort()
    drill = times[len(times) // 2]
    report("school karte: one school after the city view (median of all schools)", drill,
           baseline, "scan of a year's answers")
    print(f"[benchmark] school karte after the city view: max {times[-1] * 1000:.0f} ms over"
          f" {len(codes)} schools; goals {KARTE_TARGET * 1000:.0f} ms and city "
          f"{CITY_TARGET:.0f} s")
    assert drill < KARTE_TARGET
    assert city < CITY_TARGET
    assert cold < CITY_TARGET
