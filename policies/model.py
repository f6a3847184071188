"""Policies and policy sets as loaded: immutable values with a canonical form.

A :class:`Policy` grants one department differentially private aggregates of
one dataset for one purpose. A :class:`PolicySet` is every policy in force plus
the city-wide caps they were checked against; its content hash (SHA-256 of its
canonical JSON: sorted keys, no spaces, amounts as exact decimal strings, times
in UTC) identifies it in every decision, release and history entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from policies.budget import Cost, text
from policies.periods import Period, parse_period

FILTER_OPERATORS = ("eq", "in", "between", "gte", "lte")
ORDERED_OPERATORS = ("between", "gte", "lte")
MECHANISMS = ("laplace", "gaussian")
CANONICAL_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Policy:
    """One grant. ``measures`` maps an allowed kind to its allowed fields.

    Fieldless kinds (``count``, ``distinct_citizens``) map to ``()``;
    ``filters`` maps a field to its allowed operators. ``valid_until`` is
    exclusive and ``None`` means open-ended. ``public`` publishes the releases
    it grants on the transparency page; it is in the canonical form only when
    true, so policy sets recorded before the flag existed keep their hash.
    ``source`` (the file it came from) is not part of the canonical form.
    """

    id: str
    department: str
    dataset: str
    purpose: str
    description: str
    measures: dict[str, tuple[str, ...]]
    group_by: tuple[str, ...]
    filters: dict[str, tuple[str, ...]]
    mechanism: str
    max_epsilon_per_query: Decimal
    budget: Cost
    period: Period
    valid_from: datetime
    valid_until: datetime | None
    approvers: tuple[str, ...]
    max_records_per_citizen: int | None = None
    public: bool = False
    source: str = field(default="", compare=False)

    def valid_at(self, when: datetime) -> bool:
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)

    def canonical(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "id": self.id,
            "department": self.department,
            "dataset": self.dataset,
            "purpose": self.purpose,
            "description": self.description,
            "measures": {kind: list(names) for kind, names in sorted(self.measures.items())},
            "group_by": list(self.group_by),
            "filters": {name: list(ops) for name, ops in sorted(self.filters.items())},
            "mechanism": self.mechanism,
            "max_epsilon_per_query": text(self.max_epsilon_per_query),
            "budget": {**self.budget.as_dict(), "period": self.period.label},
            "valid_from": _time_text(self.valid_from),
            "valid_until": None if self.valid_until is None else _time_text(self.valid_until),
            "approvers": list(self.approvers),
            "max_records_per_citizen": self.max_records_per_citizen,
        }
        if self.public:
            document["public"] = True
        return document

    @classmethod
    def from_canonical(cls, data: dict[str, Any]) -> Policy:
        budget = data["budget"]
        until = data["valid_until"]
        return cls(
            id=data["id"],
            department=data["department"],
            dataset=data["dataset"],
            purpose=data["purpose"],
            description=data["description"],
            measures={kind: tuple(names) for kind, names in data["measures"].items()},
            group_by=tuple(data["group_by"]),
            filters={name: tuple(ops) for name, ops in data["filters"].items()},
            mechanism=data["mechanism"],
            max_epsilon_per_query=Decimal(data["max_epsilon_per_query"]),
            budget=Cost(Decimal(budget["epsilon"]), Decimal(budget["delta"])),
            period=parse_period(budget["period"]),
            valid_from=datetime.fromisoformat(data["valid_from"]),
            valid_until=None if until is None else datetime.fromisoformat(until),
            approvers=tuple(data["approvers"]),
            max_records_per_citizen=data["max_records_per_citizen"],
            public=data.get("public", False) is True,
        )


@dataclass(frozen=True, slots=True)
class DatasetCap:
    """The catalog's city-wide bound on one citizen's loss on a dataset per period."""

    epsilon: Decimal
    period: Period


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy in force (sorted by id) and the city-wide caps per dataset."""

    policies: tuple[Policy, ...]
    city_caps: dict[str, DatasetCap]

    def canonical_json(self) -> str:
        document: dict[str, Any] = {
            "format": CANONICAL_FORMAT,
            "city_caps": {
                ds: {"epsilon": text(cap.epsilon), "period": cap.period.label}
                for ds, cap in sorted(self.city_caps.items())
            },
            "policies": [p.canonical() for p in sorted(self.policies, key=lambda p: p.id)],
        }
        return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_canonical_json(cls, content: str) -> PolicySet:
        document = json.loads(content)
        if document.get("format") != CANONICAL_FORMAT:
            raise ValueError(f"unsupported policy-set format {document.get('format')!r}")
        caps = {
            ds: DatasetCap(Decimal(cap["epsilon"]), parse_period(cap["period"]))
            for ds, cap in document["city_caps"].items()
        }
        return cls(tuple(Policy.from_canonical(p) for p in document["policies"]), caps)

    def get(self, policy_id: str) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def grant_budgets(self) -> dict[str, Cost]:
        """The full per-period budget of every grant, by policy id."""
        return {p.id: p.budget for p in self.policies}

    def city_budgets(self) -> dict[str, Decimal]:
        """The full city-wide epsilon cap of every dataset (delta is not capped)."""
        return {ds: cap.epsilon for ds, cap in self.city_caps.items()}


def policies_for_department(policy_set: PolicySet, department: str) -> tuple[Policy, ...]:
    """The policies that concern one department (what its analysts may see)."""
    return tuple(p for p in policy_set.policies if p.department == department)


def _time_text(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()
