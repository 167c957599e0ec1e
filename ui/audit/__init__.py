"""監査ログ: the page, its table and the acknowledgment dialog."""
