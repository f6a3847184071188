"""Who signs consent receipts, and making sure the notice a citizen is shown is published.

A receipt names the purpose's controlling department as controller, the city
as jurisdiction and the portal as contact and policy page, and is signed with
the platform's Ed25519 key (the one published for ``civic receipts verify``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.city import sync_city
from civicdata.context import Platform
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.tables import notice_versions

PORTAL_PATH = "/my"
PURPOSES_PATH = "/purposes"


def receipt_issuer(platform: Platform, purpose: Purpose) -> ReceiptIssuer:
    """The issuer of receipts for ``purpose``: its department, the city, the receipts key."""
    signer = platform.signing.current("receipts")
    catalog = platform.catalog
    department = catalog.departments.get(purpose.controller)
    base = platform.config.public_url
    return ReceiptIssuer(
        signing_key=signer.ed25519,
        key_id=signer.kid,
        controller=department.name if department else purpose.controller,
        contact=f"{base}{PORTAL_PATH}",
        jurisdiction=catalog.city_name,
        policy_url=f"{base}{PURPOSES_PATH}",
    )


def ensure_published(platform: Platform, session: Session, purposes: Iterable[Purpose]) -> bool:
    """Publish the city files' notices if this database never recorded their text; say if so.

    Citizens are shown the notices of the purposes file; a consent must name
    the published version of that text. ``civic init`` publishes them; this
    covers a database that has not been synced yet. It runs :func:`sync_city`
    in its own transaction, so call it before ``session`` writes anything. A
    text that was published before but is no longer in force (a worker still
    running an old purposes file) is left alone: giving consent then fails.
    Consents are given after the publication instant, so take the clock after this.
    """
    wanted = {(p.id, p.notice_hash) for p in purposes}
    rows = session.execute(
        select(notice_versions.c.purpose_id, notice_versions.c.notice_hash).where(
            notice_versions.c.purpose_id.in_({pid for pid, _ in wanted})
        )
    )
    if wanted <= {(row.purpose_id, row.notice_hash) for row in rows}:
        return False
    sync_city(platform)
    return True
