"""取込: the import wizard (its queue and steps)."""
