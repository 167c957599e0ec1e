"""Bundled data files: fonts, the dataset registry, the default policy, demo-city parameters.

A package only so that the files travel with the code (wheel, PyInstaller) and can be found
with one helper instead of paths computed in every module.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Absolute path of a bundled resource file."""
    return RESOURCES_DIR.joinpath(*parts)
