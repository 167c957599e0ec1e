"""Opening the pupil karte on the full demo city, for every role that can open one (goal:
under 200 ms), a click-through, and the push-support extraction over the whole city.

Two figures per role, each over the same sample of pupils:

- the service: ``KarteService.open`` plus, for the roles whose karte has the
  不登校の早期把握 section, the risk service's two readers behind it (where the pupil stands in
  the lists; the survey domains against the grade, for roles that see the survey);
- the window (offscreen): from ``KartePage.open_pupil`` until the karte is shown, its risk
  section has been read and shown, and the karte has been painted with the charts in sight
  drawn — what staff wait for ("window"; "shown" is the moment before the plots in sight
  are built, which they are right after the first paint).

The city has a quickly trained model and the lists of one month, so the risk section reads
real lists. ``KARTE_BENCH_PUPILS`` sets how many pupils each role opens (default 20).

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_karte.py``
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from kernel.school_calendar import SchoolMonth
from resources import resource_path
from tests.conftest import TEST_SCRYPT_N
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.extraction import push_support_preset
from toda_desktop.extraction.service import ExtractionService
from toda_desktop.karte.service import KarteService
from toda_desktop.policy.model import default_policy
from toda_desktop.store_setup import DEMO_LOGINS, create_demo_store
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.fonts import install_fonts
from ui.karte.page import KartePage, KarteView

TARGET = 0.200
MONTH = SchoolMonth(2025, 10)
WINDOW_SIZE = (1360, 900)
KARTE_ROLES = tuple(r for r in DEMO_LOGINS if default_policy().role(r).may("view"))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _figures(values: list[float]) -> str:
    return (f"p50 {_p(values, 0.5) * 1000:6.1f} ms, p95 {_p(values, 0.95) * 1000:6.1f} ms,"
            f" max {max(values) * 1000:6.1f} ms")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo city with every role's account, a quick model and one month's lists."""
    from toda_desktop.risk import RiskService

    path = tmp_path_factory.mktemp("bench-karte") / "city.tdb"
    start = time.perf_counter()
    create_demo_store(path, seed=1, scrypt_n=TEST_SCRYPT_N).store.close()
    loaded = time.perf_counter()
    lead = sign_in(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        risk.score(MONTH)
    finally:
        lead.sign_out()
    print(f"\n[benchmark] full demo city made in {loaded - start:.1f} s, quick model and the"
          f" {MONTH} lists in {time.perf_counter() - loaded:.1f} s")
    return path


@pytest.fixture(scope="module")
def pupils(city: Path) -> list[int]:
    """The sample every role opens: pupils of 2025, some long absent, some on the lists."""
    lead = sign_in(city, "project_lead")
    try:
        def ids(sql: str) -> list[int]:
            return lead.store.db.call(lambda c: [int(r[0]) for r in c.execute(sql)])

        enrolled = ids("SELECT DISTINCT pupil_id FROM ds_enrollments WHERE school_year = 2025")
        absent = ids("SELECT DISTINCT pupil_id FROM ds_long_absence")
        listed = ids("SELECT DISTINCT pupil_id FROM risk_alerts WHERE pupil_id IS NOT NULL")
    finally:
        lead.sign_out()
    n = int(os.environ.get("KARTE_BENCH_PUPILS", "20"))
    rng = random.Random(3)
    few = max(1, n // 5)
    return rng.sample(enrolled, n - 2 * few) + rng.sample(absent, few) + rng.sample(listed, few)


@pytest.fixture(scope="module")
def qt(qapp: QApplication) -> QApplication:
    install_fonts(qapp, resource_path("fonts", "ipaexg.ttf"))
    return qapp


def _service_open(signed: SignedIn) -> Callable[[int], object]:
    """What the karte reads for this role: the karte, then its risk section's readers."""
    karte = KarteService(signed.context)
    risk = signed.risk
    readers: list[Callable[[int], object]] = []
    if risk.may_see_alerts():
        readers.append(risk.explanations)
        if risk.may_see_survey_domains():
            readers.append(risk.domain_judgments)

    def open_one(pupil_id: int) -> object:
        opened = karte.open(pupil_id)
        assert opened.header.pupil_id == pupil_id
        return [opened, *(read(pupil_id) for read in readers)]

    return open_one


def _page(signed: SignedIn, runner: BackgroundRunner) -> KartePage:
    """The karte page as the shell builds it for this role."""
    risk = signed.risk
    page = KartePage(
        signed.karte, runner, "wareki",
        explanations=risk.explanations if risk.may_see_alerts() else None,
        domain_judgments=risk.domain_judgments if risk.may_see_survey_domains() else None,
    )
    page.resize(*WINDOW_SIZE)
    page.show()
    return page


def _open_in_window(page: KartePage, pupil_id: int) -> tuple[KarteView, float, float]:
    """Open a karte; return it with the seconds until it was shown (its risk section read and
    shown, the karte painted once) and until the plots then in sight were drawn too."""
    start = time.perf_counter()
    loop = QEventLoop()
    shown: list[KarteView] = []

    def opened(view: KarteView) -> None:
        shown.append(view)
        section = view.risk_section
        if section is None or section.facts is not None:
            loop.quit()
        else:
            section.loaded.connect(lambda _facts: loop.quit())

    page.opened.connect(opened)
    QTimer.singleShot(60_000, loop.quit)
    page.open_pupil(pupil_id, refresh=True)  # read again even if its tab is open
    loop.exec()
    page.opened.disconnect(opened)
    assert shown, "the karte did not open"
    view = shown[0]
    assert view.risk_section is None or view.risk_section.facts is not None
    view.grab()  # painted as on the screen
    shown = time.perf_counter() - start
    QApplication.processEvents()  # the plots in sight (built when first painted)
    return view, shown, time.perf_counter() - start


@pytest.fixture(scope="module")
def sessions(city: Path) -> Iterator[dict[str, SignedIn]]:
    signed = {role: sign_in(city, role) for role in KARTE_ROLES}
    yield signed
    for s in signed.values():
        s.sign_out()


@pytest.mark.timeout(3600)
def test_karte_opens_under_200_ms_for_every_role(
    qt: QApplication, sessions: dict[str, SignedIn], pupils: list[int], tmp_path: Path
) -> None:
    lead = sessions["project_lead"]
    start = time.perf_counter()
    lead.risk.domain_judgments(pupils[0])
    print(f"\n[benchmark] survey domains, first reading after the data changed (computes and"
          f" keeps the year's grade norms): {time.perf_counter() - start:.2f} s")
    print(f"[benchmark] karte open on the full demo city, {len(pupils)} pupils per role"
          f" (goal: p95 under {TARGET * 1000:.0f} ms in the window; load average"
          f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    slow = []
    for role, signed in sessions.items():
        open_one = _service_open(signed)
        open_one(pupils[0])  # warm-up
        service = []
        for pupil in pupils:
            start = time.perf_counter()
            open_one(pupil)
            service.append(time.perf_counter() - start)
        runner = BackgroundRunner(ErrorReporter(tmp_path / f"{role}-errors.log"))
        page = _page(signed, runner)
        try:
            _open_in_window(page, pupils[0])  # warm-up
            shown, window = [], []
            for pupil in pupils:
                _view, first, drawn = _open_in_window(page, pupil)
                shown.append(first)
                window.append(drawn)
            sections = page.current_view()
            assert sections is not None
        finally:
            page.close()
            page.deleteLater()
            runner.shutdown()
        risk = ("" if sections.risk_section is None else
                " +早期把握" + ("（調査）" if signed.risk.may_see_survey_domains() else ""))
        print(f"  {role:17s} {len(sections.karte.linked):2d} datasets,"
              f" {len(sections.karte.charts)} charts{risk}\n"
              f"    service {_figures(service)}\n    shown   {_figures(shown)}"
              f"\n    window  {_figures(window)}", flush=True)
        if _p(window, 0.95) >= TARGET:
            slow.append(role)
    assert not slow, f"karte open p95 at or over {TARGET * 1000:.0f} ms for {slow}"


def test_click_through_to_source_records(
    sessions: dict[str, SignedIn], pupils: list[int]
) -> None:
    service = KarteService(sessions["project_lead"].context)
    click = []
    for pupil in pupils:
        chart = service.open(pupil).charts[0]
        start = time.perf_counter()
        service.source_records(pupil, chart.key, chart.x[-6])
        click.append(time.perf_counter() - start)
    print(f"\n[benchmark] click-through to source records (project lead): {_figures(click)}"
          f" (goal {TARGET * 1000:.0f} ms)")
    assert _p(click, 0.95) < TARGET


def test_push_support_over_the_whole_city(sessions: dict[str, SignedIn]) -> None:
    service = ExtractionService(sessions["project_lead"].context)
    start = time.perf_counter()
    result = service.run(push_support_preset())
    elapsed = time.perf_counter() - start
    print(f"\n[benchmark] push-support preset over {result.population:,} pupils:"
          f" {elapsed:.2f} s (goal 10 s), {len(result.rows)} listed;"
          f" per criterion {[c.pupils for c in result.counts]}")
    assert elapsed < 10
