"""児童生徒カルテ: the karte page, its charts and its risk section."""
