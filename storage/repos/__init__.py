"""Typed repositories: plain functions over a connection, run on the database thread."""
