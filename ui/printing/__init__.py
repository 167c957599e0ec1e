"""Restricted printing (issue 14): the renderer, the preview flow and the print register."""
