"""Frozen-build tests."""
