"""Shared helpers of the policies tests: a valid policy entry to mutate."""

from __future__ import annotations

import copy
from typing import Any


def transport_policy(**changes: Any) -> dict[str, Any]:
    """A valid policy on the demo catalog; keyword arguments replace or (None) drop keys."""
    entry: dict[str, Any] = {
        "id": "transport-trips",
        "department": "transport",
        "dataset": "trips",
        "purpose": "transport-planning",
        "measures": {"count": True, "mean": ["duration_min"], "sum": ["duration_min"]},
        "group_by": ["district", "mode", "month"],
        "filters": {"month": ["eq", "between"], "mode": ["eq", "in"]},
        "mechanism": "laplace",
        "max_epsilon_per_query": 1.0,
        "budget": {"epsilon": 4.0, "period": "P30D"},
        "valid_from": "2025-01-01",
        "valid_until": "2027-01-01",
        "approvers": ["Data Protection Officer"],
    }
    entry = copy.deepcopy(entry)
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry
