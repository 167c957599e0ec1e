"""``python -m toda_desktop``: the command line (the window is ``toda-desktop``)."""

from __future__ import annotations

import sys

from toda_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
