"""The demo city's residents: district, age band, household, name and references.

Residents are drawn in batches, each from a numpy Generator seeded with the
city seed and the batch number, so the whole city is reproducible from its
seed. Districts differ on purpose (the old town is young with small
households, the hills older with bigger ones, the harbour takes the ferry), so
that differentially private releases later show something worth seeing.

>>> from policies.catalog import load_catalog
>>> city = CityShape.from_catalog(load_catalog())
>>> people = draw_residents(np.random.default_rng([2026, 0]), city, start=0, count=3)
>>> len(people.emails), people.emails[0].endswith("@mail.example")
(3, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from civicdata.demo.names import EMAIL_DOMAIN, FIRST_NAMES, LAST_NAMES
from policies.catalog import Catalog

REFERENCE_YEAR = 2025
# Age groups, by the midpoint age of a birth-year band in REFERENCE_YEAR.
AGE_GROUPS = ("child", "young", "adult", "middle", "senior", "elderly")
AGE_LIMITS = (16, 30, 45, 60, 75)
GROUP_SHARE = np.array([0.16, 0.19, 0.21, 0.20, 0.15, 0.09])
GROUP_EXTRA_HOUSEHOLD = np.array([1.0, -0.3, 0.6, 0.3, -0.6, -0.8])


class DemoCatalogError(ValueError):
    """The catalog lacks something the demo generator needs."""


@dataclass(frozen=True, slots=True)
class DistrictProfile:
    """How living in a district shapes its residents' data."""

    share: float  # of the population
    age_tilt: float  # > 1: more older residents
    household: float  # mean number of people beyond the first
    modes: dict[str, float] = field(default_factory=dict)  # trip mode weights
    distance: float = 1.0  # trip duration factor
    energy: float = 1.0  # electricity use factor
    water: float = 1.0  # water use factor


PROFILES = {
    "Northbank": DistrictProfile(0.14, 1.0, 1.4, {"bus": 4, "metro": 3, "tram": 1.5, "bike-share": 1.2, "ferry": 0.3}),
    "Old Town": DistrictProfile(0.08, 0.7, 0.5, {"bus": 1.5, "metro": 2.5, "tram": 3.5, "bike-share": 2.5, "ferry": 0.1}, 0.7, 0.8, 0.85),
    "Harbour": DistrictProfile(0.10, 1.0, 1.0, {"bus": 2.5, "metro": 1.5, "tram": 1.5, "bike-share": 1, "ferry": 3.5}, 1.1, 0.9, 0.95),
    "Riverside": DistrictProfile(0.16, 0.9, 1.3, {"bus": 3, "metro": 3, "tram": 2, "bike-share": 1.5, "ferry": 0.5}, 0.9),
    "Hillcrest": DistrictProfile(0.09, 1.5, 2.0, {"bus": 6, "metro": 1, "tram": 0.5, "bike-share": 0.4, "ferry": 0.1}, 1.35, 1.4, 1.3),
    "Eastgate": DistrictProfile(0.17, 0.9, 1.7, {"bus": 4.5, "metro": 3.5, "tram": 0.5, "bike-share": 1, "ferry": 0.2}, 1.2, 1.05, 1.05),
    "Southfield": DistrictProfile(0.15, 1.1, 1.8, {"bus": 5.5, "metro": 2, "tram": 1, "bike-share": 1, "ferry": 0.2}, 1.25, 1.15, 1.1),
    "Millbrook": DistrictProfile(0.11, 1.2, 1.5, {"bus": 5, "metro": 0.5, "tram": 2.5, "bike-share": 1.5, "ferry": 0.3}, 1.15, 1.1, 1.2),
}  # fmt: skip
DEFAULT_PROFILE = DistrictProfile(
    0.1, 1.0, 1.4, {"bus": 4, "metro": 2, "tram": 1.5, "bike-share": 1}
)


def _age_group(band: str) -> int:
    """Index into :data:`AGE_GROUPS` of a ``"1980-1994"`` birth-year band."""
    try:
        first, last = (int(part) for part in band.split("-"))
    except ValueError:
        raise DemoCatalogError(f"birth-year band {band!r} is not of the form YYYY-YYYY") from None
    age = REFERENCE_YEAR - (first + last) / 2
    return int(np.searchsorted(AGE_LIMITS, age, side="right"))


@dataclass(frozen=True)
class CityShape:
    """The public facts the generator draws from: districts, bands, profiles."""

    districts: tuple[str, ...]
    bands: tuple[str, ...]
    band_group: np.ndarray  # age group of each band
    household_range: tuple[int, int]
    profiles: tuple[DistrictProfile, ...]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CityShape:
        demographics = catalog.datasets.get("demographics")
        if demographics is None or not {"district", "birth_year_band", "household_size"} <= set(
            demographics.fields
        ):
            raise DemoCatalogError(
                "the demo needs a demographics dataset with district, birth_year_band, household_size"
            )
        districts = demographics.fields["district"].domain
        for spec in catalog.datasets.values():
            other = spec.fields.get("district")
            if other is not None and other.domain != districts:
                raise DemoCatalogError(
                    f"{spec.id}.district must use the same districts as demographics"
                )
        bands = demographics.fields["birth_year_band"].domain
        size = demographics.fields["household_size"]
        return cls(
            districts=districts,
            bands=bands,
            band_group=np.array([_age_group(b) for b in bands]),
            household_range=(int(size.low or 1), int(size.high or 8)),
            profiles=tuple(PROFILES.get(d, DEFAULT_PROFILE) for d in districts),
        )

    def profile_values(self, name: str) -> np.ndarray:
        """One attribute of every district's profile, as an array by district index."""
        return np.array([getattr(p, name) for p in self.profiles], dtype=float)


@dataclass(frozen=True)
class Residents:
    """One batch of residents, as parallel arrays (position = order of creation)."""

    ordinals: np.ndarray  # position in the whole city, 0-based
    district: np.ndarray
    band: np.ndarray
    group: np.ndarray  # age group (index into AGE_GROUPS)
    household: np.ndarray
    meter_holder: np.ndarray  # holds the household's electricity and water meters
    names: list[str]
    emails: list[str]

    def __len__(self) -> int:
        return len(self.ordinals)


def categorical(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row of ``weights`` (rows need not be normalised)."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = (rng.random((len(weights), 1)) > cumulative).sum(axis=1)
    return np.minimum(draws, weights.shape[1] - 1)


def draw_residents(rng: np.random.Generator, city: CityShape, start: int, count: int) -> Residents:
    """Draw ``count`` residents, the ``start``-th onwards."""
    shares = city.profile_values("share")
    district = rng.choice(len(city.districts), size=count, p=shares / shares.sum())
    tilt = city.profile_values("age_tilt")[district]
    # Older bands get more weight where the district's tilt is above one.
    older = (city.band_group[None, :] - 2.5) / 2.5
    band_weights = GROUP_SHARE[city.band_group][None, :] * tilt[:, None] ** older
    band = categorical(rng, band_weights)
    group = city.band_group[band]
    extra = np.maximum(
        city.profile_values("household")[district] + GROUP_EXTRA_HOUSEHOLD[group], 0.1
    )
    low, high = city.household_range
    household = np.clip(1 + rng.poisson(extra), low, high)
    household = np.where(group == 0, np.maximum(household, min(2, high)), household)
    meter_holder = (group > 0) & (rng.random(count) < 1.0 / household)
    first = rng.integers(0, len(FIRST_NAMES), count)
    last = rng.integers(0, len(LAST_NAMES), count)
    ordinals = np.arange(start, start + count)
    names = [f"{FIRST_NAMES[f]} {LAST_NAMES[s]}" for f, s in zip(first, last, strict=True)]
    emails = [
        f"{FIRST_NAMES[f].lower()}.{LAST_NAMES[s].lower()}{o + 1}@{EMAIL_DOMAIN}"
        for f, s, o in zip(first, last, ordinals, strict=True)
    ]
    return Residents(ordinals, district, band, group, household, meter_holder, names, emails)


def reference(kind: str, ordinal: int) -> str:
    """The demo external reference (travel card, meter id...) of the ``ordinal``-th resident.

    Unique per kind (an affine permutation of the ordinal modulo 10**9) and
    derivable from the ordinal, so demo data sources can name demo citizens.

    >>> reference("travel_card", 0), reference("travel_card", 1)
    ('TC-000000017', 'TC-387420506')
    """
    prefix = "".join(part[0] for part in kind.split("_")).upper()
    return f"{prefix}-{(ordinal * 387_420_489 + 17) % 1_000_000_000:09d}"
