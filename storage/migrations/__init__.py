"""Migrations after the core ones, one module per room that owns them (see storage.schema)."""
