"""The demo city's records: what its residents do, dataset by dataset.

One generator per catalog dataset turns a batch of residents into records in
storage representation (category indexes, month indexes), vectorised with
numpy. Distributions depend on district, age group, household and season:
outer districts make longer bus trips, the harbour takes the ferry, big
households on the hill use more electricity in winter and more water in
summer, children borrow children's books and get vaccinated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from civicdata.demo.population import CityShape, Residents, categorical
from policies.catalog import DatasetSpec, FieldSpec, month_index

# Share of a category value no table names (e.g. appended to the domain later).
OTHER_SHARE = 0.02
# By month of year (January first).
TRAVEL_SEASON = np.array([1.0, 1.0, 1.05, 1.05, 1.05, 0.95, 0.8, 0.75, 1.1, 1.1, 1.05, 0.95])
HEATING_SEASON = np.array([1.35, 1.3, 1.15, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.15, 1.3])
GARDEN_SEASON = np.array([0.9, 0.9, 0.95, 1.0, 1.05, 1.2, 1.3, 1.3, 1.1, 1.0, 0.9, 0.9])
READING_SEASON = np.array([1.1, 1.0, 1.0, 0.95, 0.9, 0.95, 1.2, 1.2, 0.95, 1.0, 1.0, 1.05])
FLU_SEASON = np.array([1.3, 1.25, 1.1, 1.0, 0.9, 0.8, 0.75, 0.75, 0.9, 1.0, 1.1, 1.25])
# By age group: child, young, adult, middle, senior, elderly.
TRANSIT_USERS = np.array([0.6, 0.85, 0.75, 0.7, 0.55, 0.35])
LIBRARY_MEMBERS = np.array([0.55, 0.35, 0.3, 0.3, 0.35, 0.3])
CLINIC_PATIENTS = np.array([0.35, 0.2, 0.25, 0.25, 0.35, 0.5])
CLINIC_EXTRA_VISITS = np.array([0.8, 0.6, 0.8, 0.9, 1.4, 2.0])
# Multipliers of the district mode weights.
MODE_BY_AGE = [
    {"bike-share": 0.2},
    {"bike-share": 2.0, "metro": 1.3},
    {},
    {"bike-share": 0.7},
    {"bike-share": 0.3, "bus": 1.3},
    {"bike-share": 0.05, "bus": 1.6, "metro": 0.6},
]
MODE_MINUTES = {"bus": 19.0, "metro": 15.0, "tram": 14.0, "bike-share": 11.0, "ferry": 24.0}
LOANS_BY_AGE = [
    {"children": 70, "fiction": 10, "film": 8, "music": 7, "non-fiction": 5},
    {"fiction": 35, "non-fiction": 25, "film": 15, "music": 15, "periodicals": 5, "children": 5},
    {"fiction": 30, "non-fiction": 25, "children": 20, "film": 10, "music": 7, "periodicals": 8},
    {"fiction": 35, "non-fiction": 30, "periodicals": 12, "film": 10, "music": 5, "children": 8},
    {"fiction": 40, "non-fiction": 25, "periodicals": 25, "film": 5, "music": 3, "children": 2},
    {"fiction": 35, "non-fiction": 20, "periodicals": 35, "music": 5, "film": 3, "children": 2},
]
VISITS_BY_AGE = [
    {"vaccination": 55, "general": 38, "mental-health": 5, "chronic-care": 2},
    {"general": 45, "mental-health": 25, "maternity": 15, "vaccination": 10, "chronic-care": 5},
    {"general": 40, "maternity": 18, "mental-health": 15, "vaccination": 7, "chronic-care": 20},
    {"general": 42, "chronic-care": 35, "mental-health": 12, "vaccination": 10, "maternity": 1},
    {"general": 35, "chronic-care": 45, "vaccination": 15, "mental-health": 5},
    {"chronic-care": 50, "general": 30, "vaccination": 18, "mental-health": 2},
]


@dataclass(frozen=True)
class Activity:
    """Records of one dataset for a batch: owner position (sorted) and columns."""

    owner: np.ndarray
    columns: dict[str, np.ndarray]


def _weights(domain: tuple[str, ...], table: Mapping[str, float], default: float) -> np.ndarray:
    return np.array([table.get(value, default) for value in domain], dtype=float)


def _shares(domain: tuple[str, ...], tables: Sequence[Mapping[str, float]]) -> np.ndarray:
    """One row of weights per table, one column per category value.

    A value named by some table but not this one gets nothing (no maternity
    visits for children); a value no table names gets a small share.
    """
    known = set().union(*tables)
    rows = []
    for table in tables:
        other = OTHER_SHARE * sum(table.values())
        rows.append([table.get(value, 0.0 if value in known else other) for value in domain])
    return np.array(rows, dtype=float)


def _year_of_months(field: FieldSpec) -> np.ndarray:
    """The first twelve months of a month field's range (fewer if the range is shorter)."""
    first, last = month_index(field.time_min or ""), month_index(field.time_max or "")
    return np.arange(first, min(first + 12, last + 1))


def _months(
    rng: np.random.Generator, field: FieldSpec, season: np.ndarray, size: int
) -> np.ndarray:
    months = _year_of_months(field)
    weights = season[months % 12]
    return rng.choice(months, size=size, p=weights / weights.sum())


def _local_district(
    rng: np.random.Generator, city: CityShape, home: np.ndarray, stay: float, hub: str
) -> np.ndarray:
    """Mostly the home district, otherwise the hub (centre) or anywhere."""
    shares = city.profile_values("share")
    if hub in city.districts:
        shares[city.districts.index(hub)] *= 4
    elsewhere = rng.choice(len(city.districts), size=len(home), p=shares / shares.sum())
    return np.where(rng.random(len(home)) < stay, home, elsewhere)


def _bounded(values: np.ndarray, field: FieldSpec, decimals: int = 1) -> np.ndarray:
    return np.clip(np.round(values, decimals), field.low, field.high)


def trips(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec, city: CityShape
) -> Activity:
    """Several trips per transit user, heavily skewed (a few make very many)."""
    users = rng.random(len(people)) < TRANSIT_USERS[people.group]
    counts = np.where(users, np.minimum(1 + rng.negative_binomial(2, 0.125, len(people)), 60), 0)
    owner = np.repeat(np.arange(len(people)), counts)
    home = people.district[owner]
    district = _local_district(rng, city, home, stay=0.65, hub="Old Town")
    modes = spec.fields["mode"].domain
    by_district = _shares(modes, [p.modes for p in city.profiles])
    by_age = np.stack([_weights(modes, factors, 1.0) for factors in MODE_BY_AGE])
    mode = categorical(rng, by_district[district] * by_age[people.group[owner]])
    minutes = _weights(modes, MODE_MINUTES, 15.0)[mode] * city.profile_values("distance")[home]
    duration = _bounded(minutes * rng.lognormal(0.0, 0.45, len(owner)), spec.fields["duration_min"])
    month = _months(rng, spec.fields["month"], TRAVEL_SEASON, len(owner))
    return Activity(
        owner, {"mode": mode, "district": district, "month": month, "duration_min": duration}
    )


def _monthly_meter(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec
) -> tuple[np.ndarray, np.ndarray]:
    months = _year_of_months(spec.fields["month"])
    holders = np.flatnonzero(people.meter_holder)
    return np.repeat(holders, len(months)), np.tile(months, len(holders))


def electricity(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec, city: CityShape
) -> Activity:
    """Monthly kWh per household: size, district and a heating season."""
    owner, month = _monthly_meter(rng, people, spec)
    district = people.district[owner]
    kwh = (
        220.0
        * city.profile_values("energy")[district]
        * (0.55 + 0.2 * people.household[owner])
        * HEATING_SEASON[month % 12]
        * rng.lognormal(0.0, 0.2, len(owner))
    )
    return Activity(
        owner, {"district": district, "month": month, "kwh": _bounded(kwh, spec.fields["kwh"])}
    )


def water(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec, city: CityShape
) -> Activity:
    """Monthly litres per household: size, district and a garden season."""
    owner, month = _monthly_meter(rng, people, spec)
    district = people.district[owner]
    litres = (
        3200.0
        * people.household[owner] ** 0.85
        * city.profile_values("water")[district]
        * GARDEN_SEASON[month % 12]
        * rng.lognormal(0.0, 0.18, len(owner))
    )
    columns = {
        "district": district,
        "month": month,
        "litres": _bounded(litres, spec.fields["litres"], 0),
    }
    return Activity(owner, columns)


def library_loans(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec, city: CityShape
) -> Activity:
    """Loans by members, category by age group, mostly at the local branch."""
    members = rng.random(len(people)) < LIBRARY_MEMBERS[people.group]
    counts = np.where(members, np.minimum(1 + rng.poisson(5.0, len(people)), 40), 0)
    owner = np.repeat(np.arange(len(people)), counts)
    categories = _shares(spec.fields["category"].domain, LOANS_BY_AGE)
    category = categorical(rng, categories[people.group[owner]])
    district = _local_district(rng, city, people.district[owner], stay=0.75, hub="Old Town")
    loan_days = rng.choice([7, 14, 21, 28], size=len(owner), p=[0.1, 0.3, 0.4, 0.2])
    late = rng.random(len(owner)) < 0.15
    loan_days = loan_days + np.where(late, rng.geometric(0.1, len(owner)), 0)
    bounds = spec.fields["loan_days"]
    columns = {
        "category": category,
        "district": district,
        "month": _months(rng, spec.fields["month"], READING_SEASON, len(owner)),
        "loan_days": np.clip(loan_days, bounds.low, bounds.high).astype(np.int64),
    }
    return Activity(owner, columns)


def demographics(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec, city: CityShape
) -> Activity:
    """One register record per resident."""
    columns = {
        "birth_year_band": people.band,
        "household_size": people.household,
        "district": people.district,
    }
    return Activity(np.arange(len(people)), columns)


def clinic_visits(
    rng: np.random.Generator, people: Residents, spec: DatasetSpec, city: CityShape
) -> Activity:
    """Visits to the local clinic; their type depends strongly on age (special category)."""
    patients = rng.random(len(people)) < CLINIC_PATIENTS[people.group]
    extra = rng.poisson(CLINIC_EXTRA_VISITS[people.group])
    counts = np.where(patients, np.minimum(1 + extra, 12), 0)
    owner = np.repeat(np.arange(len(people)), counts)
    types = _shares(spec.fields["visit_type"].domain, VISITS_BY_AGE)
    columns = {
        "visit_type": categorical(rng, types[people.group[owner]]),
        "district": people.district[owner],
        "month": _months(rng, spec.fields["month"], FLU_SEASON, len(owner)),
    }
    return Activity(owner, columns)


Generator = Callable[[np.random.Generator, Residents, DatasetSpec, CityShape], Activity]

# In drawing order: changing the order changes every city drawn from a seed.
GENERATORS: dict[str, Generator] = {
    "demographics": demographics,
    "trips": trips,
    "electricity": electricity,
    "water": water,
    "library_loans": library_loans,
    "clinic_visits": clinic_visits,
}
