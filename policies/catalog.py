"""The dataset catalog: what the city holds, field by field.

One declarative YAML file lists the departments, shared public domains (such as
districts) and every dataset with its fields: type, public category domain,
numeric bounds, time granularity and whether the field may be grouped by.
Ingestion validates against it, policies reference it and releases read their
bounds and group keys from it, so this module is the single source of truth.

>>> catalog = load_catalog(DEMO_CATALOG)
>>> catalog.datasets["trips"].fields["mode"].domain[:2]
('bus', 'metro')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from consent.schema_errors import flatten_errors

DEMO_CATALOG = Path(__file__).resolve().parent / "city" / "catalog.yaml"
FIELD_TYPES = ("category", "integer", "number", "time")
GRANULARITIES = ("month", "day")
BUCKET_SIZES = {"month": 1, "quarter": 3, "year": 12}  # months per time bucket
IDENTIFIER = r"^[a-z][a-z0-9_\-]{0,62}$"


class CatalogError(ValueError):
    """The catalog file is invalid; ``problems`` lists every mistake found."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a dataset; bounds and domains are public knowledge."""

    name: str
    type: str
    groupable: bool
    description: str = ""
    domain: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    granularity: str | None = None
    time_min: str | None = None
    time_max: str | None = None
    unit: str = ""  # of a numeric field's values, for people ("minutes", "kWh")

    def time_keys(self) -> tuple[str, ...]:
        """Every time value between the bounds, as ISO strings (month or day)."""
        if self.type != "time" or self.time_min is None or self.time_max is None:
            return ()
        if self.granularity == "month":
            first, last = month_index(self.time_min), month_index(self.time_max)
            return tuple(month_label(i) for i in range(first, last + 1))
        from datetime import date, timedelta

        start, end = date.fromisoformat(self.time_min), date.fromisoformat(self.time_max)
        return tuple((start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1))

    def public_keys(self) -> tuple[str, ...] | tuple[int, ...]:
        """The public domain of a groupable field: every key a release shows."""
        if self.type == "category":
            return self.domain
        if self.type == "time":
            return self.time_keys()
        if self.type == "integer" and self.low is not None and self.high is not None:
            return tuple(range(int(self.low), int(self.high) + 1))
        return ()


@dataclass(frozen=True, slots=True)
class TimeBucket:
    """How a dataset's record blocks are cut in time: by ``size`` of its ``field``.

    A bucket is named by its first month (months since year 0, see
    :func:`month_index`), so a release reads only the buckets its filters
    touch. Someone who can read the database learns in which buckets a
    citizen has records (never how many records or their values); a dataset
    that must not reveal that declares no bucket (see docs/record-buckets.md).
    """

    field: str
    size: str = "month"

    def key(self, month: int) -> int:
        """The bucket of a month index (works element-wise on numpy integer arrays too)."""
        months = BUCKET_SIZES[self.size]
        return month - month % months


@dataclass(frozen=True, slots=True)
class CityCap:
    """City-wide bound on any citizen's privacy loss for a dataset and period."""

    epsilon: float
    period: str


@dataclass(frozen=True, slots=True)
class ExpectedSize:
    """A public planning figure the city declares: about how many records (and citizens)
    a dataset holds per month (``per="month"``) or in all (``per=None``).

    It is published, not measured: planners use it to warn that noise would swamp
    a statistic before any budget is spent, never to release anything.
    """

    records: int
    citizens: int | None = None
    per: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A dataset: its fields, how citizens are referenced and its city-wide cap."""

    id: str
    title: str
    description: str
    subject_reference: str
    allow_unregistered_subjects: bool
    special_category: bool
    max_records_per_citizen: int
    city_cap: CityCap
    fields: dict[str, FieldSpec]
    time_bucket: TimeBucket | None = None
    expected_size: ExpectedSize | None = None


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Catalog:
    """The whole catalog, as loaded and validated."""

    city_id: str
    city_name: str
    departments: dict[str, Department]
    datasets: dict[str, DatasetSpec]


def month_index(label: str) -> int:
    """``"2025-03"`` -> months since year 0 (for compact storage and ranges)."""
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    """Inverse of :func:`month_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class _CitySchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    name = fields.String(required=True, validate=validate.Length(min=1))


class _DepartmentSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    name = fields.String(required=True, validate=validate.Length(min=1))


class _CapSchema(Schema):
    class Meta:
        unknown = RAISE

    epsilon = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    period = fields.String(required=True, validate=validate.Regexp(r"^(P\d+D|calendar-month)$"))


class _FieldSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    groupable = fields.Boolean(load_default=False)
    description = fields.String(load_default="")
    domain = fields.List(fields.String(validate=validate.Length(min=1)))
    domain_ref = fields.String()
    min = fields.Raw()
    max = fields.Raw()
    granularity = fields.String(validate=validate.OneOf(GRANULARITIES))
    unit = fields.String(load_default="")

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        kind = data["type"]
        if kind == "category":
            if ("domain" in data) == ("domain_ref" in data):
                raise ValidationError(
                    "a category needs exactly one of domain or domain_ref", "domain"
                )
            domain = data.get("domain")
            if domain is not None and (not domain or len(set(domain)) != len(domain)):
                raise ValidationError("must be a non-empty list without duplicates", "domain")
            return
        for key in ("min", "max"):
            if key not in data:
                raise ValidationError(f"a {kind} field needs {key}", key)
        if kind == "time":
            if "granularity" not in data:
                raise ValidationError("a time field needs a granularity", "granularity")
            pattern = r"^\d{4}-\d{2}$" if data["granularity"] == "month" else r"^\d{4}-\d{2}-\d{2}$"
            for key in ("min", "max"):
                try:
                    validate.Regexp(pattern)(str(data[key]))
                except ValidationError:
                    raise ValidationError(f"must match {data['granularity']} format", key) from None
            if str(data["min"]) > str(data["max"]):
                raise ValidationError("min is after max", "max")
            return
        for key in ("min", "max"):
            if isinstance(data[key], bool) or not isinstance(data[key], int | float):
                raise ValidationError("must be a number", key)
        if data["min"] >= data["max"]:
            raise ValidationError("must be greater than min", "max")


class _BucketSchema(Schema):
    class Meta:
        unknown = RAISE

    field = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    size = fields.String(load_default="month", validate=validate.OneOf(tuple(BUCKET_SIZES)))


class _ExpectedSizeSchema(Schema):
    class Meta:
        unknown = RAISE

    records = fields.Integer(required=True, validate=validate.Range(min=1))
    citizens = fields.Integer(load_default=None, validate=validate.Range(min=1))
    per = fields.String(load_default=None, validate=validate.OneOf(("month",)))


class _DatasetSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True)
    description = fields.String(load_default="")
    subject_reference = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    allow_unregistered_subjects = fields.Boolean(load_default=False)
    special_category = fields.Boolean(load_default=False)
    max_records_per_citizen = fields.Integer(required=True, validate=validate.Range(min=1))
    city_cap = fields.Nested(_CapSchema, required=True)
    time_bucket = fields.Nested(_BucketSchema)
    expected_size = fields.Nested(_ExpectedSizeSchema, load_default=None)
    field_specs = fields.Dict(  # "fields" would shadow Schema.fields
        keys=fields.String(validate=validate.Regexp(IDENTIFIER)),
        values=fields.Nested(_FieldSchema),
        required=True,
        validate=validate.Length(min=1),
        data_key="fields",
    )


class _CatalogSchema(Schema):
    class Meta:
        unknown = RAISE

    city = fields.Nested(_CitySchema, required=True)
    domains = fields.Dict(
        keys=fields.String(validate=validate.Regexp(IDENTIFIER)),
        values=fields.List(fields.String()),
        load_default=dict,
    )
    departments = fields.List(fields.Nested(_DepartmentSchema), required=True)
    datasets = fields.Dict(
        keys=fields.String(validate=validate.Regexp(IDENTIFIER)),
        values=fields.Nested(_DatasetSchema),
        required=True,
    )


def read_yaml(path: Path) -> Any:
    """Read a YAML file; a syntax error becomes a one-line message with its position."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise CatalogError(
            path, [f"not valid YAML at {where}: {getattr(exc, 'problem', exc)}"]
        ) from None
    except OSError as exc:
        raise CatalogError(path, [f"cannot read: {exc.strerror}"]) from None


def load_catalog(path: Path | str = DEMO_CATALOG) -> Catalog:
    """Load and validate the catalog; every mistake is reported at once."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        data = _CatalogSchema().load(raw if raw is not None else {})
    except ValidationError as exc:
        raise CatalogError(path, flatten_errors(exc.messages)) from None
    return _build(path, data)


def _build(path: Path, data: dict[str, Any]) -> Catalog:
    problems: list[str] = []
    departments: dict[str, Department] = {}
    for i, dep in enumerate(data["departments"]):
        if dep["id"] in departments:
            problems.append(f"departments.{i}.id: duplicate department id {dep['id']!r}")
        departments[dep["id"]] = Department(dep["id"], dep["name"])
    domains: dict[str, list[str]] = data["domains"]
    datasets: dict[str, DatasetSpec] = {}
    for ds_id, ds in data["datasets"].items():
        specs: dict[str, FieldSpec] = {}
        for name, f in ds["field_specs"].items():
            where = f"datasets.{ds_id}.fields.{name}"
            domain: tuple[str, ...] = ()
            if f["type"] == "category":
                if "domain_ref" in f:
                    if f["domain_ref"] not in domains:
                        problems.append(f"{where}.domain_ref: unknown domain {f['domain_ref']!r}")
                        continue
                    domain = tuple(domains[f["domain_ref"]])
                else:
                    domain = tuple(f["domain"])
            numeric = f["type"] in ("integer", "number")
            specs[name] = FieldSpec(
                name=name,
                type=f["type"],
                groupable=f["groupable"],
                description=f["description"],
                domain=domain,
                low=float(f["min"]) if numeric else None,
                high=float(f["max"]) if numeric else None,
                granularity=f.get("granularity"),
                time_min=str(f["min"]) if f["type"] == "time" else None,
                time_max=str(f["max"]) if f["type"] == "time" else None,
                unit=f["unit"],
            )
            if f["type"] == "number" and f["groupable"]:
                problems.append(f"{where}.groupable: a continuous number cannot be grouped by")
        datasets[ds_id] = DatasetSpec(
            id=ds_id,
            title=ds["title"],
            description=ds["description"],
            subject_reference=ds["subject_reference"],
            allow_unregistered_subjects=ds["allow_unregistered_subjects"],
            special_category=ds["special_category"],
            max_records_per_citizen=ds["max_records_per_citizen"],
            city_cap=CityCap(ds["city_cap"]["epsilon"], ds["city_cap"]["period"]),
            fields=specs,
            time_bucket=_time_bucket(ds_id, ds.get("time_bucket"), specs, problems),
            expected_size=_expected_size(ds_id, ds["expected_size"], specs, problems),
        )
    if problems:
        raise CatalogError(path, problems)
    return Catalog(data["city"]["id"], data["city"]["name"], departments, datasets)


def _time_bucket(
    ds_id: str, raw: dict[str, str] | None, specs: dict[str, FieldSpec], problems: list[str]
) -> TimeBucket | None:
    """The dataset's bucket declaration, if any; it must name one of its time fields."""
    if raw is None:
        return None
    spec = specs.get(raw["field"])
    if spec is None or spec.type != "time":
        problems.append(f"datasets.{ds_id}.time_bucket.field: {raw['field']!r} is not a time field")
        return None
    return TimeBucket(raw["field"], raw["size"])


def _expected_size(
    ds_id: str, raw: dict[str, Any] | None, specs: dict[str, FieldSpec], problems: list[str]
) -> ExpectedSize | None:
    """The dataset's declared planning size; ``per: month`` needs a month field."""
    if raw is None:
        return None
    if raw["per"] == "month" and not any(
        s.type == "time" and s.granularity == "month" for s in specs.values()
    ):
        problems.append(f"datasets.{ds_id}.expected_size.per: the dataset has no month field")
    return ExpectedSize(raw["records"], raw["citizens"], raw["per"])
