"""PyInstaller runtime hook: the frozen application imports only what it was built with.

A scanner plugin is found through its entry point on ``sys.path``; a folder added through
``PYTHONPATH``, the user's site-packages or a ``.pth`` file would let anyone who can set an
environment variable or write to their profile add a "scanner" (issue 12, finding 4). The
bootloader already ignores ``PYTHONPATH`` and does not import ``site``; this hook makes sure
of it before the application starts: every ``sys.path`` entry outside the bundle is dropped,
the user site is switched off, and the variables are removed from the environment so that
worker processes started from here do not see them either. Vendor scanner plugins are
therefore bundled at build time (with their metadata), never picked up from the PC.
"""

from __future__ import annotations

import os
import sys

IGNORED_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP")


def inside(path: str, bundle: str) -> bool:
    """Whether ``path`` is the bundle folder or lies below it (case as the OS compares)."""
    root = os.path.normcase(os.path.abspath(bundle))
    target = os.path.normcase(os.path.abspath(path or os.curdir))
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def bundle_only(paths: list[str], bundle: str) -> list[str]:
    return [p for p in paths if inside(p, bundle)]


def isolate() -> None:
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or bundle is None:
        return
    sys.path[:] = bundle_only(sys.path, bundle)
    site = sys.modules.get("site")
    if site is not None:
        site.ENABLE_USER_SITE = False
    for name in IGNORED_VARIABLES:
        os.environ.pop(name, None)


isolate()
