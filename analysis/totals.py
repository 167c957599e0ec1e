"""Totals and subtotal rows (合計, 計, 小計, 平均, 総計) of real school workbooks.

A per-school attendance workbook ends with a 合計 row; class lists carry 小計 rows between
classes. They are summaries, not records: imported as rows they fail as a bad 年度 or add a
phantom pupil. A row is a totals row when one of its cells *is* such a word (spaces, width
and brackets aside: 「合　計」, 「【合計】」, 「計：」) and it names no pupil by an ID. A pupil
whose name merely contains 計 (山田 計) is an ordinary row; so is a row whose note merely
contains 件数 or 人数 (「人数確認済」): the count words count only as a whole cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.common import issues_frame, map_unique

TOTALS_WORDS = frozenset({
    "合計", "計", "小計", "平均", "総計", "総合計", "累計",
    # counts written under a name or symptom column (保健室来室記録の「件数」行 …)
    "件数", "人数", "合計人数", "総人数", "延べ", "延べ人数", "延べ件数", "延人数", "延件数",
    "合計件数", "総件数", "実人数",
})
_WRAPPING = re.compile(r"^[\[\(（【〔「『<＜≪《]*(.*?)[\]\)）】〕」』>＞≫》:：]*$")
TOTALS_NOTE = "合計・小計などの集計行のため取り込みません。"


def is_totals_word(text: str) -> bool:
    """'合計', '合 計', '【小計】', '計：' → True; '山田 計', '計算' → False."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if not s:
        return False
    m = _WRAPPING.match(s)
    return (m.group(1) if m else s) in TOTALS_WORDS


def totals_rows(frame: pd.DataFrame, id_positions: Sequence[int] = ()) -> pd.Index:
    """Row labels of ``frame`` (text cells, "" = empty) that are totals rows.

    ``id_positions``: columns holding pupil IDs (宛名番号, 県学調番号, Googleアカウント); a row
    with any of them filled (by something other than the totals word) names a pupil and is
    never taken for a totals row.
    """
    if frame.empty:
        return frame.index[:0]
    hit = np.zeros(len(frame), dtype=bool)
    for col in frame.columns:
        # The distinct values only (a hash pass, no codes): most columns hold no such word.
        words = [v for v in pd.unique(frame[col]) if isinstance(v, str) and is_totals_word(v)]
        if words:
            hit |= frame[col].isin(words).to_numpy()
    if not hit.any():
        return frame.index[:0]
    rows = np.flatnonzero(hit)
    for pos in id_positions:
        if pos in frame.columns:
            cells = frame[pos].iloc[rows].fillna("").astype(str)
            codes, results = map_unique(cells, lambda t: not t.strip() or is_totals_word(t))
            rows = rows[np.asarray(results, dtype=bool)[codes]]
    return frame.index[rows]


def totals_issues(frame: pd.DataFrame, rows: pd.Index) -> pd.DataFrame:
    """One note per skipped row, naming the word found, so the report accounts for it."""
    words = []
    for row in rows:
        cells = [str(v) for v in frame.loc[row].tolist()]
        words.append(next((c.strip() for c in cells if is_totals_word(c)), ""))
    return issues_frame(rows, None, None, words, TOTALS_NOTE, "note", "totals_row")
