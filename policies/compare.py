"""Two policy sets side by side: which grants were added, removed or changed, and how.

Policies are matched by id. For a policy in both sets, every field of its
canonical form that differs is reported with a readable label and both
values written out in words (``ε 3, δ 0 per rolling 30 days``, ``open-ended``),
and for list-like fields (measures, grouping, filters, approvers) which items
came and went. The city-wide caps per dataset are compared the same way.
:func:`compare_at` reads the two sets in force at two moments from the
recorded policy-set history.

>>> text_of("budget", {"epsilon": "3", "delta": "0", "period": "P30D"})
'ε 3 per rolling 30 days'
>>> text_of("valid_until", None)
'open-ended'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from policies.history import RecordedSet, policy_set_at
from policies.model import Policy, PolicySet, policies_for_department

LABELS = {
    "department": "Department",
    "dataset": "Dataset",
    "purpose": "Purpose",
    "description": "Description",
    "measures": "Measures allowed",
    "group_by": "Grouping allowed",
    "filters": "Filters allowed",
    "mechanism": "Noise mechanism",
    "max_epsilon_per_query": "Largest ε per query",
    "budget": "Budget",
    "valid_from": "Valid from",
    "valid_until": "Valid until",
    "approvers": "Approved by",
    "max_records_per_citizen": "Records per citizen, at most",
}


def period_text(label: str) -> str:
    """``P30D`` -> ``rolling 30 days``; ``calendar-month`` -> ``calendar month``."""
    if label == "calendar-month":
        return "calendar month"
    days = label.removeprefix("P").removesuffix("D")
    return f"rolling {days} day{'s' if days != '1' else ''}"


def _time_text(value: str) -> str:
    """A canonical UTC time, as a date when it is midnight."""
    moment = datetime.fromisoformat(value)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _measure_items(measures: dict[str, list[str]]) -> list[str]:
    items = []
    for kind, names in sorted(measures.items()):
        kind_text = kind.replace("_", " ")
        items += [f"{kind_text} of {name}" for name in names] if names else [kind_text]
    return items


def items_of(field: str, value: Any) -> list[str] | None:
    """The items of a list-like canonical field, in words; ``None`` for other fields."""
    if field == "measures":
        return _measure_items(value)
    if field == "filters":
        return [f"{name} {op}" for name, ops in sorted(value.items()) for op in ops]
    if field in ("group_by", "approvers"):
        return [str(item) for item in value]
    return None


def text_of(field: str, value: Any) -> str:
    """A canonical field's value in words."""
    items = items_of(field, value)
    if items is not None:
        return ", ".join(items) if items else "none"
    if field == "budget":
        delta = "" if Decimal(value["delta"]) == 0 else f", δ {value['delta']}"
        return f"ε {value['epsilon']}{delta} per {period_text(value['period'])}"
    if field == "max_epsilon_per_query":
        return f"ε {value}"
    if field == "valid_from":
        return _time_text(value)
    if field == "valid_until":
        return "open-ended" if value is None else f"{_time_text(value)} (exclusive)"
    if field == "max_records_per_citizen":
        return "the catalog's limit" if value is None else str(value)
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a policy that differs: its label, both values in words, and for
    list-like fields the items only in the second set (``added``) or the first."""

    field: str
    label: str
    before: str
    after: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "before": self.before,
            "after": self.after,
            "added": list(self.added),
            "removed": list(self.removed),
        }


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A policy in force at both moments, with the fields that differ."""

    before: Policy
    after: Policy
    fields: tuple[FieldChange, ...]

    @property
    def id(self) -> str:
        return self.after.id


@dataclass(frozen=True, slots=True)
class CapChange:
    """A dataset's city-wide cap that was added (``before`` None), removed or changed."""

    dataset: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """What changed from the first policy set to the second."""

    added: tuple[Policy, ...]
    removed: tuple[Policy, ...]
    changed: tuple[PolicyChange, ...]
    unchanged: tuple[str, ...]
    caps: tuple[CapChange, ...]

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.caps)


def field_changes(before: Policy, after: Policy) -> tuple[FieldChange, ...]:
    """Every canonical field of the two versions of a policy that differs, in words."""
    first, second = before.canonical(), after.canonical()
    changes = []
    for field, label in LABELS.items():
        if first[field] == second[field]:
            continue
        old_items, new_items = items_of(field, first[field]), items_of(field, second[field])
        added: tuple[str, ...] = ()
        removed: tuple[str, ...] = ()
        if old_items is not None and new_items is not None:
            added = tuple(i for i in new_items if i not in old_items)
            removed = tuple(i for i in old_items if i not in new_items)
        changes.append(
            FieldChange(
                field,
                label,
                text_of(field, first[field]),
                text_of(field, second[field]),
                added,
                removed,
            )
        )
    return tuple(changes)


def _cap_text(policy_set: PolicySet, dataset: str) -> str | None:
    cap = policy_set.city_caps.get(dataset)
    if cap is None:
        return None
    return f"ε {format(cap.epsilon.normalize(), 'f')} per {period_text(cap.period.label)}"


def compare(before: PolicySet, after: PolicySet) -> Comparison:
    """The differences from ``before`` to ``after``, policies matched by id."""
    old = {p.id: p for p in before.policies}
    new = {p.id: p for p in after.policies}
    changed, unchanged = [], []
    for policy_id in sorted(old.keys() & new.keys()):
        fields = field_changes(old[policy_id], new[policy_id])
        if fields:
            changed.append(PolicyChange(old[policy_id], new[policy_id], fields))
        else:
            unchanged.append(policy_id)
    caps = []
    for dataset in sorted(before.city_caps.keys() | after.city_caps.keys()):
        first, second = _cap_text(before, dataset), _cap_text(after, dataset)
        if first != second:
            caps.append(CapChange(dataset, first, second))
    return Comparison(
        added=tuple(new[i] for i in sorted(new.keys() - old.keys())),
        removed=tuple(old[i] for i in sorted(old.keys() - new.keys())),
        changed=tuple(changed),
        unchanged=tuple(unchanged),
        caps=tuple(caps),
    )


EMPTY = PolicySet((), {})


@dataclass(frozen=True, slots=True)
class SetsCompared:
    """The policy sets in force at two moments (``None``: none loaded yet) and the changes."""

    first_at: datetime
    second_at: datetime
    first: RecordedSet | None
    second: RecordedSet | None
    comparison: Comparison


def compare_at(
    conn: Connection, first_at: datetime, second_at: datetime, department: str | None = None
) -> SetsCompared:
    """Compare the sets in force at ``first_at`` and ``second_at`` (aware times).

    With ``department``, only that department's policies are compared (the caps
    are public to every department). Raises
    :class:`~policies.history.HistoryError` if a recorded set was altered.
    """
    first, second = policy_set_at(conn, first_at), policy_set_at(conn, second_at)

    def chosen(recorded: RecordedSet | None) -> PolicySet:
        if recorded is None:
            return EMPTY
        if department is None:
            return recorded.policy_set
        policy_set = recorded.policy_set
        return PolicySet(policies_for_department(policy_set, department), policy_set.city_caps)

    return SetsCompared(first_at, second_at, first, second, compare(chosen(first), chosen(second)))


def summary(policy: Policy) -> list[tuple[str, str]]:
    """A policy's fields as (label, value in words), for showing an added or removed one."""
    canonical = policy.canonical()
    return [(label, text_of(field, canonical[field])) for field, label in LABELS.items()]
