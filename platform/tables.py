"""Every schema the platform migrates, collected in one place above the models.

:mod:`civicdata.db` defines the declarative base the models build on, so it
cannot import them back; Alembic, ``civic init`` and the tests ask this module.
"""

from __future__ import annotations

from sqlalchemy import MetaData

import civicdata.models  # noqa: F401  (registers the platform's tables on Base.metadata)
from civicdata.db import Base
from consent.tables import metadata as consent_metadata
from policies.tables import metadata as policies_metadata


def all_metadata() -> list[MetaData]:
    """The platform's own tables and those the domain packages declare."""
    return [Base.metadata, consent_metadata, policies_metadata]
