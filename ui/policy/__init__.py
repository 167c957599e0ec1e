"""権限設定: the page and its role-by-function matrix."""
