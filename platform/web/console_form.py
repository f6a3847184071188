"""The department console's query form: its choices from the catalog, and the query it sends.

The form works without JavaScript: the dataset is chosen first (a GET), then
the form offers that dataset's measures, groupable fields, month range and the
purposes the department's policies name. Submitting builds the same JSON query
the API takes, so the release service validates both the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from anonymise.measures.registry import MEASURES
from policies.catalog import DatasetSpec
from policies.model import Policy

OFFERED = ("count", "distinct_citizens", "mean", "sum")  # measures that need no parameters
DEFAULT_EPSILON = "0.5"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FormChoices:
    """What the form offers for one dataset and department."""

    dataset: DatasetSpec
    purposes: list[str]
    measures: list[Choice]
    group_by: list[str]
    months: list[str]


def choices(dataset: DatasetSpec, policies: tuple[Policy, ...]) -> FormChoices:
    kinds = [MEASURES[name] for name in OFFERED]
    measures = [Choice(k.name, k.label) for k in kinds if not k.takes_field]
    for spec in dataset.fields.values():
        if spec.type in ("integer", "number"):
            measures += [
                Choice(f"{k.name}:{spec.name}", f"{k.label} of {spec.name}")
                for k in kinds
                if k.takes_field
            ]
    month = dataset.fields.get("month")
    return FormChoices(
        dataset=dataset,
        purposes=sorted({p.purpose for p in policies}),
        measures=measures,
        group_by=[s.name for s in dataset.fields.values() if s.groupable and s.public_keys()],
        months=list(month.time_keys()) if month is not None else [],
    )


@dataclass
class QueryForm:
    """The submitted values (re-shown after planning) and the query they make."""

    dataset: str
    purpose: str = ""
    measures: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    month_from: str = ""
    month_to: str = ""
    epsilon: str = DEFAULT_EPSILON
    expected_records: str = ""
    fresh: bool = False

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> QueryForm:
        return cls(
            dataset=form.get("dataset", ""),
            purpose=form.get("purpose", ""),
            measures=form.getlist("measure"),
            group_by=form.getlist("group_by"),
            month_from=form.get("month_from", ""),
            month_to=form.get("month_to", ""),
            epsilon=form.get("epsilon", "").strip(),
            expected_records=form.get("expected_records", "").strip(),
            fresh=form.get("fresh") == "on",
        )

    def payload(self) -> dict[str, Any]:
        """The JSON query of the API; values are passed on as typed, for the schema to judge."""
        measures = []
        for choice in self.measures:
            kind, _, name = choice.partition(":")
            measure: dict[str, Any] = {"kind": kind, "name": f"{kind}_{name}" if name else kind}
            if name:
                measure["field"] = name
            if kind == "mean" and self.expected_records:
                measure["expected_records"] = _number(self.expected_records)
            measures.append(measure)
        payload: dict[str, Any] = {
            "dataset": self.dataset,
            "purpose": self.purpose,
            "measures": measures,
            "group_by": self.group_by,
            "epsilon": self.epsilon or None,
            "fresh": self.fresh,
        }
        if self.month_from or self.month_to:
            payload["filters"] = [
                {"field": "month", "between": [self.month_from or None, self.month_to or None]}
            ]
        return payload


def _number(text: str) -> int | str:
    """An integer if the text is one; else the text, which the schema refuses by name."""
    return int(text) if text.isdigit() else text
