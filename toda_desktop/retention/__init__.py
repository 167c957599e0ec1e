"""Retention and de-identification (issue 13): plans, the lead's approval, the purge."""
