"""Demo consents: a realistic share of the demo citizens consent to each purpose.

For each purpose a share between 55% and 85% of the citizens consent (in
English or Catalan) through the consent domain, with signed receipts like any
portal consent, and a few of them (2-6%) withdraw again afterwards, so the
city's releases have data. Written in bulk (:mod:`consent.bulk`): 100,000
citizens make about 440,000 signed events, measured at 50 s (idle) to 115 s
(shared) on two cores with SQLite; the Ed25519 signature per receipt dominates.
Draws come from a numpy Generator seeded with the demo seed, so the same seed
picks the same citizens (by creation order).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.consents.issuers import ensure_published, receipt_issuer
from civicdata.context import Platform
from civicdata.db import utcnow
from consent.bulk import give_many, withdraw_many

CONSENT_SHARE = (0.55, 0.85)
WITHDRAWN_SHARE = (0.02, 0.06)
CATALAN_SHARE = 0.35
STREAM = 4  # keeps these draws apart from the population's


def seed_demo_consents(
    platform: Platform, session: Session, citizen_ids: Sequence[str], seed: int
) -> dict[str, dict[str, int]]:
    """Give (and withdraw a few) demo consents; commit; return counts per purpose.

    Publishes the notices first if the database lacks them (so call it when
    ``session`` has nothing pending). Records one audit entry for the batch.
    """
    ensure_published(platform, session, platform.purposes.values())
    rng = np.random.default_rng([seed, STREAM])
    ids = np.asarray(citizen_ids, dtype=object)
    given_at = utcnow()
    withdrawals: list[tuple[str, list[str]]] = []
    counts: dict[str, dict[str, int]] = {}
    for purpose in platform.purposes.values():
        issuer = receipt_issuer(platform, purpose)
        consenting = rng.random(len(ids)) < rng.uniform(*CONSENT_SHARE)
        catalan = rng.random(len(ids)) < CATALAN_SHARE
        for language, chosen in (("en", consenting & ~catalan), ("ca", consenting & catalan)):
            give_many(
                session,
                list(ids[chosen]),
                purpose,
                language=language,
                method="portal",
                now=given_at,
                issuer=issuer,
            )
        leaving = consenting & (rng.random(len(ids)) < rng.uniform(*WITHDRAWN_SHARE))
        withdrawals.append((purpose.id, list(ids[leaving])))
        counts[purpose.id] = {"given": int(consenting.sum()), "withdrawn": int(leaving.sum())}
    withdrawn_at = utcnow()  # after every grant
    for purpose_id, leavers in withdrawals:
        purpose = platform.purposes[purpose_id]
        withdraw_many(
            session,
            leavers,
            purpose,
            language="en",
            method="portal",
            now=withdrawn_at,
            issuer=receipt_issuer(platform, purpose),
        )
    record_event(
        session, actor="operator", action="demo.consents", resource="demo-city", consents=counts
    )
    session.commit()
    return counts
