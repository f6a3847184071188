"""A release as CSV: one row per released cell, with its 95 % confidence interval."""

from __future__ import annotations

import csv
import io
from typing import Any

FIXED = ("measure", "kind")
NUMBERS = ("bin", "quantile", "value", "lower", "upper", "half_width", "rank_error")


def release_csv(document: dict[str, Any]) -> str:
    """CSV text: measure, kind, one column per group-by field, then the numbers."""
    group_by = list(document["query"]["group_by"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED, *group_by, *NUMBERS])
    for cell in document["cells"]:
        writer.writerow(
            [
                *(cell[k] for k in FIXED),
                *(cell["group"].get(g, "") for g in group_by),
                *("" if cell.get(k) is None else cell[k] for k in NUMBERS),
            ]
        )
    return out.getvalue()
