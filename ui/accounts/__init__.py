"""アカウント管理: the page and its dialogs."""
