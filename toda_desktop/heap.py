"""Keep large arrays out of the C heap during the model's training (glibc only).

glibc serves a block above its mmap threshold by mmap and gives it back when freed, but each
such free raises the threshold (up to 32 MB): afterwards the city's pupil × month arrays
(about 6 MB each) come from the heap, where the freed ones are kept, and the process carries
hundreds of MB of dead arrays into the candidate grid. Fixing the threshold at glibc's default
keeps each large array mapped only while it lives. Elsewhere (Windows, macOS, musl) this is a
no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
THRESHOLD = 128 * 1024  # glibc's default; setting it disables the dynamic adjustment


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold for this process; whether it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))


def trim() -> None:
    """Give freed heap memory back to the system (glibc's malloc_trim; else nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return
