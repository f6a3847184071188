"""Pseudonymous actor ids for the audit entries of sign-ins and OAuth decisions.

Successful decisions are recorded with :func:`civicdata.audit.record_event` in
the caller's transaction, as its last step; refusals with
:func:`civicdata.audit.record_event_committed`, in a transaction of their own
that survives the rollback of the refused request. Never record in the request
session and then commit a refusal before that session ends: the audit head
row is locked until the first transaction commits.
"""

from __future__ import annotations

from civicdata.identity.models import Account


def actor_of(account: Account | None) -> str:
    """The pseudonymous actor id of an account (citizen pseudonym or account id)."""
    if account is None:
        return "anonymous"
    return account.citizen_id or account.id


def client_actor(client_id: str) -> str:
    return f"client:{client_id}"
