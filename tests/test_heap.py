"""The training fixes glibc's mmap threshold (see toda_desktop.heap)."""

from __future__ import annotations

import platform
import sys

import pytest

from toda_desktop import heap


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="mallopt's threshold is glibc's")
def test_on_glibc_the_mmap_threshold_is_fixed_and_the_heap_trimmed() -> None:
    assert heap.fix_mmap_threshold() is True
    heap.trim()  # returns freed memory; must not fail


def test_elsewhere_fixing_the_threshold_is_a_harmless_no_op(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap.sys, "platform", "win32")
    assert heap.fix_mmap_threshold() is False
    heap.trim()
