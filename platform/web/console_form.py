"""The department console's query form: its choices from the policies, and the query it sends.

The form works without JavaScript: the dataset is chosen first (a GET), then
the form offers every measure the department's policies allow on it (with
their fields, histogram bins and quantile levels), each with a weight that
splits the epsilon, the groupable fields, the month range, the purposes, and
the mechanism the policy requires (with a delta for the Gaussian one), all
defaulted from the applicable policy. Submitting builds the same JSON query the
API takes, so the release service validates both the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from anonymise.measures.registry import MEASURES
from anonymise.usefulness import DEFAULT_ACCURACY
from policies.catalog import DatasetSpec, FieldSpec
from policies.model import Policy

DEFAULT_EPSILON = "0.5"
ACCURACIES = ("0.1", "0.25", "0.5")  # aims offered: half-width within this share of the value
DEFAULT_QUANTILES = "0.25, 0.5, 0.75"
DELTA_SHARE_DIGITS = 15  # deltas are multiples of 1e-15


@dataclass(frozen=True, slots=True)
class Choice:
    """One measure the form offers: ``value`` is ``kind`` or ``kind:field``."""

    value: str
    label: str
    kind: str
    field: str | None = None
    default_bins: str = ""
    takes_quantiles: bool = False


@dataclass(frozen=True, slots=True)
class FormChoices:
    """What the form offers for one dataset and department."""

    dataset: DatasetSpec
    purposes: list[str]
    measures: list[Choice]
    group_by: list[str]
    months: list[str]
    mechanisms: dict[str, str]  # purpose -> the mechanism its policy requires
    deltas: dict[str, str]  # purpose -> default delta (Gaussian policies only)


def default_bins(spec: FieldSpec) -> str:
    """Bin edges over the field's declared range: each integer of a small range, else six bins."""
    low, high = float(spec.low or 0), float(spec.high or 0)
    if spec.type == "integer" and high - low <= 12:
        edges = [low + i for i in range(int(high - low) + 1)]
    else:
        edges = [low + (high - low) * i / 6 for i in range(7)]
    return ", ".join(f"{e:g}" for e in edges)


def default_delta(policy: Policy, epsilon: Decimal) -> str:
    """The policy's delta budget in proportion to the epsilon asked for, on the 1e-15 grid."""
    share = policy.budget.delta * epsilon / policy.budget.epsilon
    return format(round(share, DELTA_SHARE_DIGITS).normalize(), "f")


def _measure_label(kind_label: str, spec: FieldSpec) -> str:
    unit = f" ({spec.unit})" if spec.unit else ""
    return _("%(measure)s of %(field)s", measure=kind_label, field=spec.name) + unit


def choices(dataset: DatasetSpec, policies: tuple[Policy, ...], epsilon: str) -> FormChoices:
    """Every measure any of ``policies`` allows on ``dataset``, in the registry's order."""
    allowed: dict[str, set[str]] = {}
    for policy in policies:
        for kind, names in policy.measures.items():
            allowed.setdefault(kind, set()).update(names)
    measures = []
    for measure_kind in MEASURES.values():
        if measure_kind.name not in allowed:
            continue
        if not measure_kind.takes_field:
            measures.append(Choice(measure_kind.name, measure_kind.label, measure_kind.name))
            continue
        for name in sorted(allowed[measure_kind.name]):
            spec = dataset.fields.get(name)
            if spec is None or spec.type not in ("integer", "number"):
                continue
            measures.append(
                Choice(
                    f"{measure_kind.name}:{name}",
                    _measure_label(measure_kind.label, spec),
                    measure_kind.name,
                    name,
                    default_bins(spec) if "bins" in measure_kind.parameters else "",
                    "quantiles" in measure_kind.parameters,
                )
            )
    month = dataset.fields.get("month")
    amount = _decimal(epsilon) or Decimal(DEFAULT_EPSILON)
    return FormChoices(
        dataset=dataset,
        purposes=sorted({p.purpose for p in policies}),
        measures=measures,
        group_by=[s.name for s in dataset.fields.values() if s.groupable and s.public_keys()],
        months=list(month.time_keys()) if month is not None else [],
        mechanisms={p.purpose: p.mechanism for p in reversed(policies)},
        deltas={
            p.purpose: default_delta(p, amount)
            for p in reversed(policies)
            if p.mechanism == "gaussian"
        },
    )


@dataclass
class QueryForm:
    """The submitted values (re-shown after planning) and the query they make."""

    dataset: str
    purpose: str = ""
    measures: list[str] = field(default_factory=list)
    weights: dict[str, str] = field(default_factory=dict)
    bins: dict[str, str] = field(default_factory=dict)
    quantiles: dict[str, str] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)
    month_from: str = ""
    month_to: str = ""
    epsilon: str = DEFAULT_EPSILON
    mechanism: str = ""
    delta: str = ""
    expected_records: str = ""
    accuracy: str = str(DEFAULT_ACCURACY)
    confirm: str = ""  # the fingerprint of the query the analyst confirmed
    fresh: bool = False

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> QueryForm:
        def by_prefix(prefix: str) -> dict[str, str]:
            return {
                key[len(prefix) :]: value.strip()
                for key, value in form.items()
                if key.startswith(prefix)
            }

        return cls(
            dataset=form.get("dataset", ""),
            purpose=form.get("purpose", ""),
            measures=form.getlist("measure"),
            weights=by_prefix("weight:"),
            bins=by_prefix("bins:"),
            quantiles=by_prefix("quantiles:"),
            group_by=form.getlist("group_by"),
            month_from=form.get("month_from", ""),
            month_to=form.get("month_to", ""),
            epsilon=form.get("epsilon", "").strip(),
            mechanism=form.get("mechanism", "").strip(),
            delta=form.get("delta", "").strip(),
            expected_records=form.get("expected_records", "").strip(),
            accuracy=form.get("accuracy", str(DEFAULT_ACCURACY)).strip(),
            confirm=form.get("confirm", "").strip(),
            fresh=form.get("fresh") == "on",
        )

    def with_defaults(self, offered: FormChoices | None) -> QueryForm:
        """Purpose, mechanism and delta defaulted from the policy when not chosen yet."""
        if offered is None:
            return self
        purpose = self.purpose or (offered.purposes[0] if offered.purposes else "")
        mechanism = self.mechanism or offered.mechanisms.get(purpose, "laplace")
        delta = self.delta
        if mechanism == "gaussian" and not delta:
            delta = offered.deltas.get(purpose, "")
        self.purpose, self.mechanism, self.delta = purpose, mechanism, delta
        return self

    def accuracy_value(self) -> float:
        """The chosen aim as a fraction (the default when not one of those offered)."""
        return float(self.accuracy) if self.accuracy in ACCURACIES else DEFAULT_ACCURACY

    def fingerprint(self) -> str:
        """A short hash of the query this form would send: what a confirmation confirms."""
        canonical = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:20]

    def confirmed(self) -> bool:
        """Whether the analyst confirmed exactly this query (else it is shown to confirm again)."""
        return hmac.compare_digest(self.confirm, self.fingerprint())

    def payload(self) -> dict[str, Any]:
        """The JSON query of the API; values are passed on as typed, for the schema to judge."""
        measures = []
        for choice in self.measures:
            kind, _sep, name = choice.partition(":")
            measure: dict[str, Any] = {"kind": kind, "name": f"{kind}_{name}" if name else kind}
            if name:
                measure["field"] = name
            weight = self.weights.get(choice, "")
            if weight and weight != "1":
                measure["weight"] = _number(weight)
            if kind == "histogram":
                measure["bins"] = _numbers(self.bins.get(choice, ""))
            if kind == "quantile":
                measure["quantiles"] = _numbers(self.quantiles.get(choice, DEFAULT_QUANTILES))
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
        if self.mechanism:
            payload["mechanism"] = self.mechanism
        if self.mechanism == "gaussian" and self.delta:
            payload["delta"] = self.delta
        if self.month_from or self.month_to:
            payload["filters"] = [
                {"field": "month", "between": [self.month_from or None, self.month_to or None]}
            ]
        return payload


def _number(text: str) -> int | str:
    """An integer if the text is one; else the text, which the schema refuses by name."""
    return int(text) if text.isdigit() else text


def _numbers(text: str) -> list[float | str]:
    """Comma-separated numbers; a part that is not one is passed on for the schema to name."""
    out: list[float | str] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            out.append(part)
    return out


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value > 0 else None
