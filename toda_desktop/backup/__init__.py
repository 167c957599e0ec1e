"""Backups of the store: making them, offering them at sign-out, restoring one (issue 13)."""
