"""Restricted printing (issue 14): what a printed sheet says, and the log of every sheet."""
