"""支援ケース (issue 14): the case pages, their forms after MEXT's 児童生徒理解・支援シート, and the
karte section; registered by the shell through ``pages.py``."""
