"""児童生徒検索: the search page."""
