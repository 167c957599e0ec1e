"""研究用データの作成 (issue 13): the dialog, opened from the menu for roles with
``research_export``."""
