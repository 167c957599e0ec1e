"""児童生徒カルテ: one pupil's records by section, within the role's need to know."""
