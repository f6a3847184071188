"""The console's plan: accuracy, epsilon split, usefulness warnings and the confirmation step.

A plan spends nothing. It shows, per measure, its share of the epsilon, its
expected 95 % half-width (or rank error), the value it is likely to have (from
the catalog's declared size, never from data) and a warning when noise would
swamp it, with the epsilon that would reach the chosen accuracy. When the
policy would allow the query, the plan carries the confirmation ("Spend ε 0.5
of your 3.5 left"): a request is only made by that second submit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from anonymise.usefulness import Judgement, judge
from civicdata.releases.planning import PlanOutcome, plan_release
from civicdata.releases.policy_request import bounds_for, likely_policy
from civicdata.releases.service import ReleaseService, Requester
from civicdata.web.query_words import measure_words
from policies.budget import text


@dataclass(frozen=True, slots=True)
class PlanView:
    """What the page (and the live plan endpoint) shows of a plan."""

    epsilon: str
    allowed: bool
    explanation: str
    mechanism: str
    measures: list[dict[str, Any]]
    expected_records: float | None
    accuracy: float
    useful_epsilon: str | None
    unreachable: bool
    left: str | None  # epsilon left in the grant that would pay
    confirm: bool  # show the confirmation step

    @property
    def warned(self) -> bool:
        return any(m["reason"] for m in self.measures)


def _left(outcome: PlanOutcome) -> str | None:
    before = outcome.decision.grant_before
    return None if before is None else text(max(before.epsilon, Decimal(0)))


def build_plan(
    service: ReleaseService,
    requester: Requester,
    payload: Any,
    accuracy: float,
    *,
    confirm: bool = False,
) -> PlanView:
    """Plan ``payload`` and judge each measure's usefulness (raises the service's errors)."""
    outcome = plan_release(service, requester, payload)
    query = outcome.parsed.query
    catalog = service.platform.catalog
    policy = likely_policy(service.candidates(requester.department, query), query.purpose)
    bounds = bounds_for(policy, catalog.datasets[query.dataset])
    judged: Judgement = judge(query, catalog, outcome.parsed.epsilon, bounds, accuracy)
    return PlanView(
        epsilon=text(outcome.parsed.epsilon),
        allowed=outcome.decision.allowed,
        explanation=outcome.decision.explanation,
        mechanism=query.mechanism,
        measures=[
            {
                "name": m.name,
                "label": measure_words(
                    {"kind": q.kind, "field": q.field, "quantiles": list(q.quantiles)},
                    catalog,
                    query.dataset,
                ),
                "kind": m.kind,
                "share": m.share,
                "epsilon": text(m.epsilon),
                "half_width": m.half_width,
                "rank_error": m.rank_error,
                "likely": m.likely,
                "reason": m.reason,
            }
            for m, q in zip(judged.measures, query.measures, strict=True)
        ],
        expected_records=None if judged.expected is None else judged.expected.records,
        accuracy=judged.accuracy,
        useful_epsilon=None if judged.useful_epsilon is None else text(judged.useful_epsilon),
        unreachable=judged.unreachable,
        left=_left(outcome),
        confirm=confirm and outcome.decision.allowed,
    )


def as_json(view: PlanView) -> dict[str, Any]:
    """The plan as the live endpoint returns it (besides its rendered HTML)."""
    return {
        "epsilon": view.epsilon,
        "allowed": view.allowed,
        "explanation": view.explanation,
        "mechanism": view.mechanism,
        "measures": view.measures,
        "expected_records": view.expected_records,
        "accuracy": view.accuracy,
        "useful_epsilon": view.useful_epsilon,
        "unreachable": view.unreachable,
        "left": view.left,
        "warned": view.warned,
    }
