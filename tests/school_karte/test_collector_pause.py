"""A view pauses Python's cyclic garbage collector while it is built and always gives it
back as it was: after nested or overlapping views, after an error, and left off when the
application had it off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from toda_desktop.school_karte.service import _collector_paused


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_during_a_view_and_back_after_it() -> None:
    gc.enable()
    with _collector_paused():
        assert not gc.isenabled()
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer view is still being built
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("view failed")
    assert gc.isenabled()


def test_a_collector_the_application_had_off_stays_off() -> None:
    gc.disable()
    with _collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_views_in_two_threads_share_one_pause() -> None:
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with _collector_paused():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other)
    t.start()
    assert inside.wait(5)
    with _collector_paused():
        pass
    assert not gc.isenabled()  # the other thread's view is not finished
    release.set()
    t.join(5)
    assert gc.isenabled()
