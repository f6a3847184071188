"""Budget charges as the release service makes them, for tests of the spending views."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.context import Platform
from civicdata.releases import ledger
from policies.budget import Cost, text


def charge(
    session: Session,
    platform_: Platform,
    policy_id: str,
    at: datetime,
    epsilon: str,
    *,
    state: str = "spent",
    signed: str | None = "same",
) -> str:
    """A reservation as the release service makes it, with its signed allowed decision.

    ``signed``: ``"same"`` (the entry states this grant and amount), ``None`` (no
    entry) or another epsilon (the entry disagrees with the ledger).
    """
    policy = platform_.policy_set.get(policy_id)
    cost = Cost(Decimal(epsilon))
    reservation = ledger.new_reservation(
        session,
        policy=policy,
        cost=cost,
        requester="client:test",
        policy_set_hash=platform_.policy_set.content_hash,
        query_hash="qh",
        now=at,
    )
    reservation.state = state
    if signed is not None:
        record_event(
            session,
            actor="client:test",
            action="release.decision",
            resource=reservation.id,
            decision="allowed",
            policy_id=policy_id,
            department=policy.department,
            dataset=policy.dataset,
            epsilon=text(cost.epsilon) if signed == "same" else signed,
        )
    return reservation.id
