"""Bringing the database in line with the city's declarative files.

The purposes file and the policy directory are the source of truth; the
database keeps their history (notice versions, policy sets in force) so that
consents and decisions can always be traced to the text and rules of the day.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from civicdata.audit import record_event
from civicdata.context import Platform
from civicdata.db import utcnow
from consent.notices import sync_notices
from policies.history import record_policy_set


@dataclass(frozen=True)
class CitySync:
    new_notice_versions: int
    policy_set_recorded: bool
    policy_set_hash: str


def sync_city(platform: Platform, attempts: int = 3) -> CitySync:
    """Record new notice versions and the policy set in force, once, in one transaction.

    Several workers starting together may race on the same new version; the
    loser's transaction fails on the primary key and is simply retried.
    """
    for attempt in range(attempts):
        try:
            return _sync_once(platform)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _sync_once(platform: Platform) -> CitySync:
    now = utcnow()
    policy_set = platform.policy_set
    with platform.sessions() as session:
        versions = sync_notices(session, platform.purposes, now)
        recorded = record_policy_set(session.connection(), policy_set, now)
        if versions or recorded:
            record_event(
                session,
                actor="operator:city-files",
                action="city.sync",
                resource=str(platform.config.city_dir.name),
                notice_versions=[f"{v.purpose_id}@{v.version}" for v in versions],
                policy_set_hash=policy_set.content_hash if recorded else None,
            )
        session.commit()
    return CitySync(len(versions), recorded, policy_set.content_hash)
