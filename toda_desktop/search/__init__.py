"""児童生徒検索: the search service and the search index's keys."""
