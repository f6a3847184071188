"""Policy test cases: requests with the decision they must get, like ``opa test``.

A policy directory may hold a ``tests/`` folder of YAML files, each with
``cases:``, a list of entries like::

    - name: transport may not group trips by household size
      at: 2025-06-01T12:00:00Z          # when the request is evaluated
      request: {department: transport, purpose: transport-planning, dataset: trips,
                measures: [{kind: count}], group_by: [household_size], epsilon: 0.5}
      spent: {transport-trips: 3.5}    # optional: epsilon already spent per grant
      city_spent: {trips: 5.5}         # optional: epsilon already spent per dataset
      expect: {decision: deny, code: group_by_not_allowed}

An ``allow`` expectation names the policy that must match; a ``deny``
expectation names the failure code. Budgets are full unless ``spent`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from policies.budget import Budgets, Cost
from policies.catalog import CatalogError, read_yaml
from policies.evaluate import Decision, evaluate
from policies.loader import policy_files
from policies.model import PolicySet
from policies.problems import PolicyError, Problem, flatten
from policies.request import Request, parse_request
from policies.schema import IDENTIFIER, Amount, UtcTime

CASES_FOLDER = "tests"


@dataclass(frozen=True, slots=True)
class Case:
    """One test case; ``policy`` is expected on allow, ``code`` on deny."""

    name: str
    file: str
    at: datetime
    request: Request
    spent: dict[str, Decimal]
    city_spent: dict[str, Decimal]
    decision: str
    policy: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    decision: Decision
    passed: bool
    detail: str


class _ExpectSchema(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("allow", "deny")))
    policy = fields.String(load_default=None, validate=validate.Regexp(IDENTIFIER))
    code = fields.String(load_default=None)

    @validates_schema
    def _complete(self, data: dict[str, Any], **_: Any) -> None:
        if data["decision"] == "allow" and (data["policy"] is None or data["code"] is not None):
            raise ValidationError("an allow names the matching policy and no code", "policy")
        if data["decision"] == "deny" and (data["code"] is None or data["policy"] is not None):
            raise ValidationError("a deny names the failure code and no policy", "code")


class _CaseSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    at = UtcTime(required=True)
    request = fields.Dict(required=True)
    spent = fields.Dict(keys=fields.String(), values=Amount(positive=False), load_default=dict)
    city_spent = fields.Dict(keys=fields.String(), values=Amount(positive=False), load_default=dict)
    expect = fields.Nested(_ExpectSchema, required=True)


def load_cases(directory: Path | str) -> list[Case]:
    """Every case under ``directory/tests``; all problems are raised together."""
    folder = Path(directory) / CASES_FOLDER
    if not folder.is_dir():
        return []
    cases: list[Case] = []
    problems: list[Problem] = []
    names: set[str] = set()
    for path in policy_files(folder):
        where = f"{CASES_FOLDER}/{path.name}"
        try:
            raw = read_yaml(path)
        except CatalogError as exc:
            problems.extend(Problem(where, None, None, m) for m in exc.problems)
            continue
        if not isinstance(raw, dict) or set(raw) != {"cases"} or not isinstance(raw["cases"], list):
            problems.append(
                Problem(where, None, "cases", "the file must hold only a list 'cases:'")
            )
            continue
        for index, entry in enumerate(raw["cases"]):
            label = _label(entry, index)
            try:
                case = _build(entry, where)
            except ValidationError as exc:
                problems.extend(
                    Problem(where, label, f, m, kind="case") for f, m in flatten(exc.messages)
                )
                continue
            if case.name in names:
                problems.append(Problem(where, label, "name", "duplicate case name", kind="case"))
            names.add(case.name)
            cases.append(case)
    if problems:
        raise PolicyError(problems)
    return cases


def _label(entry: Any, index: int) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
        return repr(entry["name"])
    return f"#{index + 1}"


def _build(entry: Any, where: str) -> Case:
    if not isinstance(entry, dict):
        raise ValidationError("each case must be a mapping")
    data = _CaseSchema().load(entry)
    try:
        request = parse_request(data["request"])
    except ValidationError as exc:
        raise ValidationError({"request": exc.messages}) from None
    expect = data["expect"]
    return Case(
        name=data["name"],
        file=where,
        at=data["at"],
        request=request,
        spent=data["spent"],
        city_spent=data["city_spent"],
        decision=expect["decision"],
        policy=expect["policy"],
        code=expect["code"],
    )


def run_case(policy_set: PolicySet, case: Case) -> CaseResult:
    """Evaluate one case with full budgets minus what it says was spent."""
    budgets = Budgets.from_spent(
        policy_set.grant_budgets(),
        policy_set.city_budgets(),
        spent_grants={k: Cost(v) for k, v in case.spent.items()},
        spent_city=case.city_spent,
    )
    decision = evaluate(policy_set, case.request, budgets, case.at)
    unknown = sorted(set(case.spent) - set(budgets.grants)) + sorted(
        set(case.city_spent) - set(budgets.city)
    )
    if unknown:
        return CaseResult(case, decision, False, f"spent names unknown {', '.join(unknown)}")
    got = "allow" if decision.allowed else "deny"
    got_detail = decision.policy_id if decision.allowed else _code(decision)
    want_detail = case.policy if case.decision == "allow" else case.code
    passed = got == case.decision and got_detail == want_detail
    detail = f"expected {case.decision} ({want_detail}), got {got} ({got_detail})"
    if not decision.allowed:
        detail += f": {decision.explanation}"
    return CaseResult(case, decision, passed, detail)


def _code(decision: Decision) -> str | None:
    return None if decision.failure is None else decision.failure.code


def run_cases(policy_set: PolicySet, cases: list[Case]) -> list[CaseResult]:
    return [run_case(policy_set, case) for case in cases]
