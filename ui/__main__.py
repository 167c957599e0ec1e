"""``python -m ui`` and the ``toda-desktop`` console script / frozen executable."""

from __future__ import annotations

import sys

from ui.app import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
