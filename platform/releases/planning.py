"""Planning a release without touching data: accuracy, policy decision, remaining budget.

The plan uses the bounds of the policy the query would most likely run under
and the same closed-form scales a release would use; the policy is evaluated
on the ledger's current balances, without locking or reserving anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anonymise.planning import Plan, plan
from civicdata.db import utcnow
from civicdata.releases.policy_request import bounds_for, decide, likely_policy
from civicdata.releases.service import Parsed, ReleaseService, Requester
from policies.budget import text
from policies.evaluate import Decision


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    parsed: Parsed
    plan: Plan
    decision: Decision

    def as_dict(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "epsilon": text(self.parsed.epsilon),
            "epsilon_from_target": self.parsed.from_target,
            "query_hash": self.parsed.query_hash,
            "plan": self.plan.as_dict(),
            "allowed": decision.allowed,
            "explanation": decision.explanation,
            "decision": decision.as_dict(),
        }


def plan_release(service: ReleaseService, requester: Requester, payload: Any) -> PlanOutcome:
    """Expected accuracy of each measure and whether policy and budget would allow it."""
    platform = service.platform
    parsed = service.parse(requester.department, payload)
    query = parsed.query
    policies = service.candidates(requester.department, query)
    policy = likely_policy(policies, query.purpose)
    bounds = bounds_for(policy, platform.catalog.datasets[query.dataset])
    planned = plan(query, parsed.epsilon, platform.catalog, bounds)
    with platform.sessions() as session:
        judged = decide(
            session,
            platform.policy_set,
            query,
            requester.department,
            requester.actor,
            parsed.epsilon,
            utcnow(),
        )
    return PlanOutcome(parsed, planned, judged.decision)
