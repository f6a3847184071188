"""Validation problems of policy files, reported all together.

Each :class:`Problem` names the file, the policy id (or the entry's position
when it has no usable id) and the field, so an operator can fix every mistake
from one run of ``civic policy check``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake: ``file: policy ID: field: message`` when printed.

    ``kind`` says what ``policy`` names: a policy, or a test ``case``.
    """

    file: str
    policy: str | None
    field: str | None
    message: str
    kind: str = "policy"

    def __str__(self) -> str:
        parts = [self.file]
        if self.policy is not None:
            parts.append(f"{self.kind} {self.policy}")
        if self.field is not None:
            parts.append(self.field)
        return ": ".join([*parts, self.message])


class PolicyError(ValueError):
    """A policy directory (or its test cases) is invalid; ``problems`` lists every mistake."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        super().__init__(f"{count} problem(s): " + "; ".join(str(p) for p in problems))


def flatten(messages: object, prefix: str = "") -> list[tuple[str | None, str]]:
    """marshmallow's nested messages -> ``(dotted.field or None, message)`` pairs.

    >>> flatten({"budget": {"epsilon": ["must be greater than 0"]}})
    [('budget.epsilon', 'must be greater than 0')]
    """
    if isinstance(messages, dict):
        return [
            pair
            for key, value in messages.items()
            for pair in flatten(value, prefix if key == "_schema" else _join(prefix, key))
        ]
    if isinstance(messages, list):
        return [pair for item in messages for pair in flatten(item, prefix)]
    return [(prefix or None, str(messages))]


def _join(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)
