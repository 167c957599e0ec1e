"""An exclusive lock on a small file beside the store (moved to ``kernel.file_lock`` so that
the storage layer can lock the key file too; kept here for the modules that import it)."""

from __future__ import annotations

from kernel.file_lock import OWNER_ONLY, exclusive_lock

__all__ = ["OWNER_ONLY", "exclusive_lock"]
