"""取込 and 取込履歴: the import wizard by step, its queue, the value-mapping dialog, and
the import history."""
