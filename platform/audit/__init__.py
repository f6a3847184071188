"""The one function through which every capability records what happened.

Entries carry pseudonymous ids, client ids and decisions only, never personal
data or secrets. The audit issue makes this log hash-chained and signed
without changing its callers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civicdata.models import AuditEvent

FORBIDDEN_KEYS = frozenset({"password", "secret", "token", "email", "name", "code", "value"})


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    resource: str = "",
    decision: str = "ok",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the audited action)."""
    leaked = FORBIDDEN_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"audit details must not carry {', '.join(sorted(leaked))}")
    event = AuditEvent(
        actor=actor, action=action, resource=resource, decision=decision, details=details
    )
    session.add(event)
    return event
