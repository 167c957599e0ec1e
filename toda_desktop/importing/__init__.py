"""Bringing files in: inspect → map headers → parse and validate → link (名寄せ) → preview →
commit as one batch; the review queue for rows that could not be linked safely."""
