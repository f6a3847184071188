"""Everything the platform holds on a citizen, decrypted (GDPR Art. 15 and 20).

Identity (name and email, opened with the citizen's own data key), records per
dataset, the full consent history with each signed receipt, and the apps
authorised. The export itself is an audit event (pseudonym only).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.consents.apps import authorised_apps
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import Citizen
from civicdata.records import records_for_citizen
from consent.records import ConsentEvent, history

EXPORT_FORMAT = "civic-data-export/v1"


class CitizenGone(LookupError):
    """The citizen does not exist or was erased: there is nothing to export."""


def export_my_data(
    platform: Platform, session: Session, citizen_id: str, *, channel: str
) -> dict[str, Any]:
    """The citizen's data as one JSON-ready document; audited with ``channel`` (portal, api).

    Records the audit entry in ``session``: the caller commits.
    """
    citizen = session.get(Citizen, citizen_id)
    if citizen is None or citizen.erased_at is not None:
        raise CitizenGone(citizen_id)
    records = records_for_citizen(session, platform.vault, platform.catalog, citizen_id)
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "controller": platform.catalog.city_name,
        "citizen": {
            "pseudonym": citizen_id,
            "registered_at": citizen.created_at.isoformat(),
            **_identity(platform, session, citizen),
        },
        "records": records,
        "consent_history": [_event(event) for event in history(session, citizen_id)],
        "authorised_apps": [
            {
                **asdict(app),
                "given_at": app.given_at.isoformat(),
                "expires_at": app.expires_at.isoformat() if app.expires_at else None,
            }
            for app in authorised_apps(session, citizen_id)
        ],
    }
    record_event(
        session,
        actor=citizen_id,
        action="citizen.export",
        resource=channel,
        subject=citizen_id,
        datasets=sorted(records),
    )
    return document


def _identity(platform: Platform, session: Session, citizen: Citizen) -> dict[str, str | None]:
    if citizen.name_enc is None and citizen.email_enc is None:
        return {"name": None, "email": None}
    cipher = platform.vault.cipher(session, citizen.id)

    def opened(blob: bytes | None, field: str) -> str | None:
        return None if blob is None else cipher.open(blob, "citizens", field, citizen.id).decode()

    return {"name": opened(citizen.name_enc, "name"), "email": opened(citizen.email_enc, "email")}


def _event(event: ConsentEvent) -> dict[str, Any]:
    return {
        "record_id": event.record_id,
        "purpose": event.purpose_id,
        "state": event.state,
        "event_time": event.event_time.isoformat(),
        "valid_until": event.valid_until.isoformat() if event.valid_until else None,
        "notice_version": event.notice_version,
        "language": event.language,
        "collection_method": event.collection_method,
        "client_id": event.client_id,
        "receipt": event.document(),
    }
