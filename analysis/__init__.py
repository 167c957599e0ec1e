"""Pure analysis on pandas DataFrames (no Qt, no database).

Import pipeline: ``textio`` (bytes → table of text) → ``headers`` (map headers, recognize the
dataset kind) → ``values`` (type and validate, duplicates) → ``linkage`` (名寄せ, with
``names`` for name/kana keys). ``wareki`` reads and writes Japanese era dates.
"""
