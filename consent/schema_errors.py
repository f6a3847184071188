"""marshmallow's nested error messages as ``path.to.field: message`` lines.

Shared by the loaders of the city's files (purposes here, the catalog in
:mod:`policies.catalog`). It lives in ``consent``, the lower of the two domain
packages, so that ``policies`` may use it while ``consent`` imports nothing
from ``policies``.

>>> flatten_errors({"purposes": {"mobility": {"value": {"notice": ["Missing data."]}}}})
['purposes.mobility.notice: Missing data.']
>>> flatten_errors({"_schema": ["empty file"]})
['(file): empty file']
"""

from __future__ import annotations

from typing import Any


def flatten_errors(messages: Any, prefix: str = "") -> list[str]:
    """Turn marshmallow's nested error dict into ``path.to.field: message`` lines.

    Errors inside a ``Dict`` field arrive as ``{key: {"value": {...}}}``; the
    ``value`` level is dropped so paths read like the YAML they point at.
    """
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            if key in ("value", "_schema"):
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, name))
        return out
    if isinstance(messages, list):
        return [line for m in messages for line in flatten_errors(m, prefix)]
    return [f"{prefix or '(file)'}: {messages}"]
