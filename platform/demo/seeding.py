"""Seeding the demo city: residents with sealed identities and encrypted records.

Residents are drawn and stored batch by batch (one commit per batch), each
batch from a numpy Generator seeded with ``(seed, batch number)``: the same
seed gives the same city (same plaintext), while pseudonyms and keys stay
random. The returned :class:`DemoCity` lists citizen ids in creation order with
their synthetic emails: the seam where demo accounts are attached later.

For example (it needs a database, so it is not a doctest)::

    city = seed_demo_city(platform, citizens=10_000, seed=2026, progress=bar.update)
    city.citizen_ids[0], city.emails[0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.context import Platform
from civicdata.demo.activity import GENERATORS, Activity
from civicdata.demo.consents import seed_demo_consents
from civicdata.demo.enrolment import NewCitizen, enrol_citizens
from civicdata.demo.population import (
    CityShape,
    DemoCatalogError,
    Residents,
    draw_residents,
    reference,
)
from civicdata.models import Citizen
from civicdata.records import RecordCodec, write_blocks
from policies.catalog import Catalog, DatasetSpec

# Citizens per batch and per commit. Part of what a seed means: changing it
# changes the city drawn from every seed.
BATCH = 1000


class DemoError(RuntimeError):
    """The demo city cannot be seeded here (e.g. the database already holds citizens)."""


@dataclass
class DemoCity:
    """What was seeded: citizens in creation order, and records per dataset."""

    seed: int
    citizen_ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # synthetic, parallel to citizen_ids
    records: dict[str, int] = field(default_factory=dict)


def citizen_count(session: Session) -> int:
    """How many citizens (including erased tombstones) the database holds."""
    return session.execute(select(func.count()).select_from(Citizen)).scalar_one()


def demo_datasets(catalog: Catalog) -> dict[str, DatasetSpec]:
    """The catalog entries the generators fill; a clear error if one is missing."""
    missing = [name for name in GENERATORS if name not in catalog.datasets]
    if missing:
        raise DemoCatalogError(
            f"the demo generator needs datasets missing from the catalog: {missing}"
        )
    return {name: catalog.datasets[name] for name in GENERATORS}


def _per_citizen(
    activity: Activity, spec: DatasetSpec, citizen_ids: list[str]
) -> dict[str, np.ndarray]:
    """Split a batch's records into one structured array per citizen."""
    dtype = RecordCodec(spec).dtype
    if set(activity.columns) != set(dtype.names or ()):
        raise DemoCatalogError(
            f"{spec.id}: the generator makes {sorted(activity.columns)}, "
            f"the catalog has {sorted(dtype.names or ())}"
        )
    records = np.empty(len(activity.owner), dtype=dtype)
    for name, column in activity.columns.items():
        records[name] = column
    counts = np.bincount(activity.owner, minlength=len(citizen_ids))
    parts = np.split(records, np.cumsum(counts)[:-1])
    return {cid: part for cid, part, n in zip(citizen_ids, parts, counts, strict=True) if n}


def _newcomers(
    people: Residents, activities: dict[str, Activity], specs: dict[str, DatasetSpec]
) -> list[NewCitizen]:
    """Identity and one external reference per dataset each resident appears in."""
    appears = {}
    for name, activity in activities.items():
        present = np.zeros(len(people), dtype=bool)
        present[activity.owner] = True
        appears[specs[name].subject_reference] = present
    return [
        NewCitizen(
            name=people.names[i],
            email=people.emails[i],
            references={
                kind: reference(kind, int(people.ordinals[i]))
                for kind, present in appears.items()
                if present[i]
            },
        )
        for i in range(len(people))
    ]


def seed_demo_city(
    platform: Platform,
    *,
    citizens: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> DemoCity:
    """Create ``citizens`` synthetic residents with records in every demo dataset.

    Refuses (:class:`DemoError`) if the database already holds citizens: the
    demo city is seeded only once, into an empty database.
    """
    if citizens < 1 or seed < 0:
        raise ValueError("citizens must be positive and seed non-negative")
    shape = CityShape.from_catalog(platform.catalog)
    specs = demo_datasets(platform.catalog)
    vault, index = platform.vault, platform.keys.blind_index
    city = DemoCity(seed=seed, records=dict.fromkeys(specs, 0))
    with platform.sessions() as session:
        existing = citizen_count(session)
        if existing:
            raise DemoError(f"the database already holds {existing} citizen(s); seed an empty one")
        for batch, start in enumerate(range(0, citizens, BATCH)):
            rng = np.random.default_rng([seed, batch])
            people = draw_residents(rng, shape, start, min(BATCH, citizens - start))
            activities = {
                name: make(rng, people, specs[name], shape) for name, make in GENERATORS.items()
            }
            ciphers = enrol_citizens(session, vault, index, _newcomers(people, activities, specs))
            ids = list(ciphers)
            for name, activity in activities.items():
                write_blocks(
                    session, ciphers, specs[name], _per_citizen(activity, specs[name], ids)
                )
                city.records[name] += len(activity.owner)
            session.commit()
            city.citizen_ids.extend(ids)
            city.emails.extend(people.emails)
            if progress is not None:
                progress(len(people))
        seed_demo_consents(platform, session, city.citizen_ids, seed)
        record_event(
            session,
            actor="operator",
            action="demo.seed",
            resource="demo-city",
            citizens=citizens,
            seed=seed,
            records=city.records,
        )
        session.commit()
        # Fresh planner statistics: without them PostgreSQL plans the first
        # releases over millions of new rows as if the tables were empty.
        session.execute(text("ANALYZE"))
        session.commit()
    return city
