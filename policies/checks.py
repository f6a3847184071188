"""Cross-checks of well-formed policies against the catalog, the purposes and each other.

Per policy: at least one measure is allowed; the per-query epsilon cap is
within the per-period budget; the gaussian mechanism (zCDP) has a delta budget
and the laplace mechanism none; the validity window ends after it starts; the
department, dataset and purpose exist and the purpose covers
the dataset; measures use numeric fields; group-by and filter fields are
public (``groupable``) fields of the dataset and never its identifier; ordered
filter operators are used only on ordered fields; the contribution bound is
within the catalog's; the budget period covers the city-wide cap's period.

Across policies: ids are unique; at most one grant per (department, dataset,
purpose) is valid at any moment; and the **city-wide cap rule**: for every
dataset and every instant, the per-period epsilon budgets of all grants on the
dataset valid at that instant add up to at most the dataset's city cap. Since
every grant's period covers the cap's period (any cap window lies within one
window of the grant), each grant spends at most its budget in any cap window,
so no citizen's loss on the dataset can exceed the cap in any cap window while
one policy set is in force. (Spending under an earlier set still counts: the
ledger's city-wide balance, checked at evaluation time, covers that.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from consent.purposes import Purpose
from policies.budget import exact, text
from policies.catalog import Catalog, DatasetSpec
from policies.model import ORDERED_OPERATORS, Policy
from policies.periods import parse_period
from policies.problems import Problem

NUMERIC_TYPES = ("integer", "number")
ORDERED_TYPES = ("integer", "time")


def check_policies(
    policies: list[Policy], catalog: Catalog, purposes: Mapping[str, Purpose]
) -> list[Problem]:
    """Every cross-check problem of ``policies`` (empty when all is well)."""
    problems = [p for policy in policies for p in _check_one(policy, catalog, purposes)]
    problems.extend(_duplicate_ids(policies))
    problems.extend(_overlapping_grants(policies))
    problems.extend(_city_caps(policies, catalog))
    return problems


def _check_one(policy: Policy, catalog: Catalog, purposes: Mapping[str, Purpose]) -> list[Problem]:
    out = _consistency(policy)
    if policy.department not in catalog.departments:
        known = ", ".join(sorted(catalog.departments))
        out.append(("department", f"unknown department {policy.department!r}; known: {known}"))
    purpose = purposes.get(policy.purpose)
    if purpose is None:
        known = ", ".join(sorted(purposes))
        out.append(("purpose", f"unknown purpose {policy.purpose!r}; known: {known}"))
    dataset = catalog.datasets.get(policy.dataset)
    if dataset is None:
        known = ", ".join(sorted(catalog.datasets))
        out.append(("dataset", f"unknown dataset {policy.dataset!r}; known: {known}"))
    else:
        if purpose is not None and policy.dataset not in purpose.datasets:
            covered = ", ".join(purpose.datasets)
            out.append(
                (
                    "purpose",
                    f"purpose {policy.purpose!r} does not cover dataset {policy.dataset!r} "
                    f"(it covers: {covered})",
                )
            )
        out.extend(_field_problems(policy, dataset))
    return [Problem(policy.source, policy.id, f, m) for f, m in out]


def _consistency(policy: Policy) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not policy.measures:
        out.append(("measures", "allows no measure"))
    per_query, per_period = policy.max_epsilon_per_query, policy.budget.epsilon
    if per_query > per_period:
        out.append(
            (
                "max_epsilon_per_query",
                f"{text(per_query)} exceeds the budget of {text(per_period)} per period",
            )
        )
    if policy.mechanism == "gaussian" and policy.budget.delta == 0:
        out.append(("budget.delta", "the gaussian mechanism (zCDP) needs a delta budget > 0"))
    if policy.mechanism == "laplace" and policy.budget.delta != 0:
        out.append(("budget.delta", "the laplace mechanism is pure DP: delta must be 0"))
    if policy.valid_until is not None and policy.valid_until <= policy.valid_from:
        out.append(("valid_until", "must be after valid_from"))
    return out


def _field_problems(policy: Policy, dataset: DatasetSpec) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for kind, names in policy.measures.items():
        for name in names:
            spec = dataset.fields.get(name)
            if spec is None:
                out.append((f"measures.{kind}", _not_a_field(name, dataset)))
            elif spec.type not in NUMERIC_TYPES:
                out.append(
                    (
                        f"measures.{kind}",
                        f"{kind} needs a numeric field; {name!r} is a {spec.type} field",
                    )
                )
    for name in policy.group_by:
        out.extend(("group_by", m) for m in _public_field_problems(name, dataset, "grouped by"))
    for name, operators in policy.filters.items():
        field = f"filters.{name}"
        found = _public_field_problems(name, dataset, "filtered on")
        out.extend((field, m) for m in found)
        spec = dataset.fields.get(name)
        if not found and spec is not None and spec.type not in ORDERED_TYPES:
            ordered = [op for op in operators if op in ORDERED_OPERATORS]
            if ordered:
                out.append(
                    (
                        field,
                        f"{', '.join(ordered)} need an ordered field; {name!r} is a "
                        f"{spec.type} field (use eq or in)",
                    )
                )
    bound = policy.max_records_per_citizen
    if bound is not None and bound > dataset.max_records_per_citizen:
        out.append(
            (
                "max_records_per_citizen",
                f"{bound} exceeds the catalog's bound of "
                f"{dataset.max_records_per_citizen} records per citizen for {dataset.id}",
            )
        )
    cap_period = parse_period(dataset.city_cap.period)
    if not policy.period.covers(cap_period):
        out.append(
            (
                "budget.period",
                f"{policy.period.label} does not cover the city-wide cap's "
                f"period {cap_period.label} for {dataset.id}; use a period at least as long",
            )
        )
    return out


def _not_a_field(name: str, dataset: DatasetSpec) -> str:
    return f"{name!r} is not a field of dataset {dataset.id} (fields: {', '.join(dataset.fields)})"


def _public_field_problems(name: str, dataset: DatasetSpec, verb: str) -> list[str]:
    if name == dataset.subject_reference:
        return [f"{name!r} identifies citizens and can never be {verb}"]
    spec = dataset.fields.get(name)
    if spec is None:
        return [_not_a_field(name, dataset)]
    if not spec.groupable:
        return [f"{name!r} is not marked groupable in the catalog, so it cannot be {verb}"]
    return []


def _duplicate_ids(policies: list[Policy]) -> list[Problem]:
    first: dict[str, Policy] = {}
    out: list[Problem] = []
    for policy in policies:
        if policy.id in first:
            out.append(
                Problem(
                    policy.source,
                    policy.id,
                    "id",
                    f"duplicate id; already used in {first[policy.id].source}",
                )
            )
        else:
            first[policy.id] = policy
    return out


def _overlapping_grants(policies: list[Policy]) -> list[Problem]:
    out: list[Problem] = []
    for i, a in enumerate(policies):
        for b in policies[i + 1 :]:
            same = (a.department, a.dataset, a.purpose) == (b.department, b.dataset, b.purpose)
            if same and a.id != b.id and _overlap(a, b):
                out.append(
                    Problem(
                        b.source,
                        b.id,
                        "valid_from",
                        f"validity overlaps policy {a.id} for the same department, "
                        "dataset and purpose; end one before the other starts",
                    )
                )
    return out


def _overlap(a: Policy, b: Policy) -> bool:
    return _before(a.valid_from, b.valid_until) and _before(b.valid_from, a.valid_until)


def _before(start: datetime, end: datetime | None) -> bool:
    return end is None or start < end


def _city_caps(policies: list[Policy], catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[str, ...]] = set()
    for policy in sorted(policies, key=lambda p: (p.valid_from, p.id)):
        dataset = catalog.datasets.get(policy.dataset)
        if dataset is None:
            continue
        active = [
            p for p in policies if p.dataset == policy.dataset and p.valid_at(policy.valid_from)
        ]
        total = sum((p.budget.epsilon for p in active), Decimal(0))
        cap = exact(dataset.city_cap.epsilon)
        key = tuple(sorted(p.id for p in active))
        if total > cap and key not in seen:
            seen.add(key)
            shares = ", ".join(f"{p.id}={text(p.budget.epsilon)}" for p in active)
            out.append(
                Problem(
                    policy.source,
                    policy.id,
                    "budget.epsilon",
                    f"grants on {dataset.id} valid from "
                    f"{policy.valid_from.date().isoformat()} add up to {text(total)} "
                    f"per period, above the city-wide cap of {text(cap)} per "
                    f"{dataset.city_cap.period} ({shares})",
                )
            )
    return out
