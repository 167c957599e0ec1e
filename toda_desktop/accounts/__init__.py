"""アカウント管理: accounts, their passwords and palms, by administrators."""
