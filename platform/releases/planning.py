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
from civicdata.releases import ledger
from civicdata.releases.policy_request import bounds_for, likely_policy, policy_request
from civicdata.releases.service import Parsed, ReleaseService, Requester
from policies.budget import text
from policies.evaluate import Decision, evaluate


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
        now = utcnow()
        budgets = ledger.budgets_for(session, platform.policy_set, policies, query.dataset, now)
    request = policy_request(query, requester.department, requester.actor, parsed.epsilon)
    decision = evaluate(platform.policy_set, request, budgets, now)
    return PlanOutcome(parsed, planned, decision)
