"""The count of records per group: OpenDP's noisy length after bounding.

One citizen moves it by at most the records they keep after truncation.
"""

from __future__ import annotations

from anonymise.measures.base import MeasureKind


class Count(MeasureKind):
    """Number of records (after per-citizen bounding)."""

    name = "count"
    label = "Count of records"
    role = "count"
    takes_field = False
