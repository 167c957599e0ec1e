"""監査ログ: the tamper-evident trail and the views over it."""
