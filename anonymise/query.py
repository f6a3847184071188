"""The query model: what a department asks for, validated against the catalog.

A query names a dataset and a purpose, one or more measures, the public fields
to group by, filters on public fields, and either an ``epsilon`` to spend or a
``target_half_width`` (95 %) on its measures. :class:`QuerySchema` is the
marshmallow schema (also used in the OpenAPI document); given a catalog it also
checks every field against it and names the offending field in each message.

>>> from policies.catalog import load_catalog
>>> schema = QuerySchema(catalog=load_catalog())
>>> query = schema.load({"dataset": "trips", "purpose": "transport-planning",
...     "measures": [{"kind": "count", "name": "trips"}], "group_by": ["mode"],
...     "epsilon": "0.5"})
>>> query.measures[0].kind, query.group_by, query.epsilon
('count', ('mode',), Decimal('0.5'))
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from anonymise.measures.registry import MEASURES
from anonymise.query_values import Filter, Measure, Query, allowed_keys
from policies.budget import EPSILON_UNIT
from policies.catalog import Catalog, DatasetSpec

__all__ = ["Filter", "Measure", "Query", "QuerySchema", "allowed_keys"]

NAME = r"^[a-z][a-z0-9_]{0,62}$"
MECHANISMS = ("laplace", "gaussian")
PARAMETERS = ("bins", "quantiles")  # measure keys only some kinds take
MAX_EPSILON = Decimal(10)
MAX_DELTA = Decimal("1e-3")
MAX_GROUPS = 10_000


class _MeasureSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(list(MEASURES)))
    name = fields.String(required=True, validate=validate.Regexp(NAME))
    field = fields.String(load_default=None)
    bins = fields.List(fields.Float(allow_nan=False), load_default=list)
    quantiles = fields.List(fields.Float(allow_nan=False), load_default=list)
    weight = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    target_half_width = fields.Float(
        load_default=None, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False)
    )
    expected_records = fields.Integer(load_default=None, validate=validate.Range(min=1))


class _FilterSchema(Schema):
    class Meta:
        unknown = RAISE

    field = fields.String(required=True)
    values = fields.List(fields.Raw(), data_key="in", validate=validate.Length(min=1))
    between = fields.List(fields.Raw(), validate=validate.Length(equal=2))

    @validates_schema
    def _one_kind(self, data: dict[str, Any], **_: Any) -> None:
        if ("values" in data) == ("between" in data):
            raise ValidationError("give exactly one of 'in' or 'between'", "field")


class QuerySchema(Schema):
    """A DP query; pass ``catalog=`` to check it against the catalog as well."""

    class Meta:
        unknown = RAISE

    dataset = fields.String(required=True)
    purpose = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_\-]{0,62}$"))
    measures = fields.List(
        fields.Nested(_MeasureSchema), required=True, validate=validate.Length(min=1, max=20)
    )
    group_by = fields.List(fields.String(), load_default=list, validate=validate.Length(max=3))
    filters = fields.List(fields.Nested(_FilterSchema), load_default=list)
    epsilon = fields.Decimal(
        load_default=None,
        allow_nan=False,
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_EPSILON),
    )
    mechanism = fields.String(load_default="laplace", validate=validate.OneOf(MECHANISMS))
    delta = fields.Decimal(
        load_default=None,
        allow_nan=False,
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_DELTA),
    )

    def __init__(self, *args: Any, catalog: Catalog | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, list[str]] = {}
        _check_budget(data, problems)
        if self.catalog is not None:
            _check_against_catalog(data, self.catalog, problems)
        if problems:
            raise ValidationError(problems)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Query:
        measures = tuple(
            Measure(
                kind=m["kind"],
                name=m["name"],
                field=m["field"],
                bins=tuple(m["bins"]),
                quantiles=tuple(m["quantiles"]),
                weight=m["weight"],
                target_half_width=m["target_half_width"],
                expected_records=m["expected_records"],
            )
            for m in data["measures"]
        )
        return Query(
            dataset=data["dataset"],
            purpose=data["purpose"],
            measures=measures,
            group_by=tuple(data["group_by"]),
            filters=_filters(data["filters"]),
            epsilon=data["epsilon"],
            mechanism=data["mechanism"],
            delta=data["delta"],
        )


def _filters(raw: list[dict[str, Any]]) -> tuple[Filter, ...]:
    return tuple(
        Filter(
            f["field"],
            tuple(f.get("values", ())),
            (f["between"][0], f["between"][1]) if "between" in f else None,
        )
        for f in raw
    )


def _check_budget(data: dict[str, Any], problems: dict[str, list[str]]) -> None:
    epsilon = data.get("epsilon")
    targets = [m for m in data.get("measures", []) if m.get("target_half_width") is not None]
    if epsilon is None and not targets:
        problems.setdefault("epsilon", []).append(
            "give an epsilon, or a target_half_width on at least one measure"
        )
    if epsilon is not None and targets:
        problems.setdefault("epsilon", []).append(
            "give either an epsilon or target accuracies, not both"
        )
    if epsilon is not None and epsilon % EPSILON_UNIT:
        problems.setdefault("epsilon", []).append("must be a multiple of 0.000001")
    gaussian = data.get("mechanism") == "gaussian"
    if gaussian and data.get("delta") is None:
        problems.setdefault("delta", []).append("the gaussian mechanism needs a delta")
    if not gaussian and data.get("delta") is not None:
        problems.setdefault("delta", []).append("only the gaussian mechanism takes a delta")


def _check_against_catalog(
    data: dict[str, Any], catalog: Catalog, problems: dict[str, list[str]]
) -> None:
    dataset = catalog.datasets.get(data["dataset"])
    if dataset is None:
        problems["dataset"] = [f"unknown dataset {data['dataset']!r}"]
        return
    names = [m["name"] for m in data["measures"]]
    for i, measure in enumerate(data["measures"]):
        where = f"measures.{i}"
        if names.count(measure["name"]) > 1:
            problems.setdefault(f"{where}.name", []).append(f"duplicate name {measure['name']!r}")
        for key, message in _measure_problems(measure, dataset):
            problems.setdefault(f"{where}.{key}", []).append(message)
    for i, name in enumerate(data["group_by"]):
        spec = dataset.fields.get(name)
        if spec is None:
            problems.setdefault(f"group_by.{i}", []).append(_unknown(name, dataset))
        elif not spec.groupable or not spec.public_keys():
            problems.setdefault(f"group_by.{i}", []).append(f"field {name!r} is not groupable")
        elif data["group_by"].index(name) != i:
            problems.setdefault(f"group_by.{i}", []).append(f"field {name!r} is listed twice")
    seen: set[str] = set()
    for i, flt in enumerate(data["filters"]):
        for key, message in _filter_problems(flt, dataset, seen):
            problems.setdefault(f"filters.{i}.{key}", []).append(message)
        seen.add(flt["field"])
    if not problems and _group_count(data, dataset) > MAX_GROUPS:
        problems["group_by"] = [f"more than {MAX_GROUPS} groups; group by fewer fields or filter"]


def _unknown(name: str, dataset: DatasetSpec) -> str:
    return f"unknown field {name!r} in dataset {dataset.id!r}"


def _measure_problems(measure: dict[str, Any], dataset: DatasetSpec) -> list[tuple[str, str]]:
    kind, name = MEASURES[measure["kind"]], measure["field"]
    out: list[tuple[str, str]] = []
    if not kind.takes_field:
        if name is not None:
            out.append(("field", f"a {kind.name} measure takes no field"))
    elif name is None:
        out.append(("field", f"a {kind.name} measure needs a numeric field"))
    elif name not in dataset.fields:
        out.append(("field", _unknown(name, dataset)))
    elif dataset.fields[name].type not in ("integer", "number"):
        out.append(("field", f"field {name!r} is not numeric"))
    for key in PARAMETERS:
        if measure[key] and key not in kind.parameters:
            owners = " or ".join(k.name for k in MEASURES.values() if key in k.parameters)
            out.append((key, f"only a {owners} measure takes {key}"))
    if out or not kind.takes_field:
        return out
    return kind.problems(measure, dataset.fields[name])


def _filter_problems(
    flt: dict[str, Any], dataset: DatasetSpec, seen: set[str]
) -> list[tuple[str, str]]:
    name = flt["field"]
    spec = dataset.fields.get(name)
    if spec is None:
        return [("field", _unknown(name, dataset))]
    if name in seen:
        return [("field", f"field {name!r} is filtered twice")]
    if spec.type == "number":
        return [("field", f"field {name!r} is not public; filter on category, time or integer")]
    keys = spec.public_keys()
    if "values" in flt:
        unknown = [v for v in flt["values"] if v not in keys or isinstance(v, bool)]
        return [("in", f"{v!r} is not in the public domain of {name!r}") for v in unknown[:5]]
    low, high = flt["between"]
    if spec.type == "category":
        return [("between", f"category field {name!r} takes 'in', not 'between'")]
    if low not in keys or high not in keys or isinstance(low, bool) or isinstance(high, bool):
        return [("between", f"both ends must be in the public domain of {name!r}")]
    if keys.index(low) > keys.index(high):
        return [("between", "the first end is after the second")]
    return []


def _group_count(data: dict[str, Any], dataset: DatasetSpec) -> int:
    filters = _filters(data["filters"])
    total = 1
    for name in data["group_by"]:
        total *= len(allowed_keys(dataset.fields[name], filters))
    return total
