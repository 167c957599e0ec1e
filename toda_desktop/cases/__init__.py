"""支援ケース（児童生徒理解・支援シート）: cases, meetings, reviews — within the map (issue 14)."""
