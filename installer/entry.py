"""Entry script of the frozen application (PyInstaller analyses this file)."""

from __future__ import annotations

import multiprocessing
import sys

from ui.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # analysis code may use worker processes later
    sys.exit(main())
