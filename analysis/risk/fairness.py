"""Fairness audit of a list rule: recall and false-positive rate per group, and the gaps.

For each audit attribute (性別, 学年, 校種, 就学援助 …) and each of its groups: pupils-months,
events, listed, recall (share of the group's events that were listed), false-positive rate
(share of the group's non-events that were listed), precision (share of the group's listed
who became long-absent) and listing rate. Gaps are max − min over the groups with enough
events (:data:`MIN_GROUP_EVENTS`) for recall and over all groups for FPR; the FPR ratio is
max / min. Small groups are kept in the table and marked, never hidden.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

MIN_GROUP_EVENTS = 10


def group_rates(
    y: npt.NDArray[np.bool_], flagged: npt.NDArray[np.bool_], groups: pd.DataFrame
) -> dict[str, Any]:
    """Per attribute: a list of group rows and the gaps (see the module docstring)."""
    y = np.asarray(y, dtype=bool)
    flagged = np.asarray(flagged, dtype=bool)
    out: dict[str, Any] = {}
    for attribute in groups.columns:
        values = groups[attribute].astype(str).to_numpy()
        rows = []
        for level in sorted(set(values.tolist())):
            m = values == level
            events = int((y & m).sum())
            negatives = int((~y & m).sum())
            listed = int((flagged & m).sum())
            tp = int((flagged & y & m).sum())
            fp = listed - tp
            rows.append({
                "group": level,
                "n": int(m.sum()),
                "events": events,
                "listed": listed,
                "recall": tp / events if events else float("nan"),
                "fpr": fp / negatives if negatives else float("nan"),
                "precision": tp / listed if listed else float("nan"),
                "listing_rate": listed / int(m.sum()) if m.any() else float("nan"),
                "small": events < MIN_GROUP_EVENTS,
            })
        judged = [r for r in rows if not r["small"] and np.isfinite(r["recall"])]
        fprs = [r["fpr"] for r in rows if np.isfinite(r["fpr"]) and r["n"] > 0]
        recall_gap = (max(r["recall"] for r in judged) - min(r["recall"] for r in judged)
                      if len(judged) >= 2 else float("nan"))
        fpr_gap = max(fprs) - min(fprs) if len(fprs) >= 2 else float("nan")
        fpr_ratio = (max(fprs) / min(fprs)
                     if len(fprs) >= 2 and min(fprs) > 0 else float("nan"))
        out[str(attribute)] = {"groups": rows, "recall_gap": recall_gap, "fpr_gap": fpr_gap,
                               "fpr_ratio": fpr_ratio}
    return out
