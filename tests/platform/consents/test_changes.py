"""Giving and withdrawing through the service: receipts, audit, eligibility at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civicdata.consents.changes import ConsentRequestError, give_consent, withdraw_consent
from civicdata.consents.recording import Collector
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.models import Account
from civicdata.models import AuditEvent
from consent.eligibility import eligible_subjects, is_active
from consent.receipts import verify_receipt
from consent.records import history

TRANSPORT = "transport-planning"


def _portal(account: Account) -> Collector:
    return Collector(method="portal", actor=str(account.citizen_id))


def test_give_then_withdraw_stops_counting_immediately(
    platform_: Platform, citizen: Account
) -> None:
    cid = str(citizen.citizen_id)
    with platform_.sessions() as session:
        given = give_consent(
            platform_, session, cid, TRANSPORT, language="ca", collector=_portal(citizen)
        )
        session.commit()
        assert is_active(session, cid, TRANSPORT, utcnow())
        assert cid in set(session.scalars(eligible_subjects(TRANSPORT, utcnow())))
        withdrawn = withdraw_consent(
            platform_, session, cid, TRANSPORT, language="en", collector=_portal(citizen)
        )
        session.commit()
        assert not is_active(session, cid, TRANSPORT, utcnow())
        assert cid not in set(session.scalars(eligible_subjects(TRANSPORT, utcnow())))
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.subject == cid).order_by(AuditEvent.id)
        ).all()
    receipt = verify_receipt(
        given.document(), platform_.signing.current("receipts").ed25519.public_key()
    )
    assert receipt["piiControllers"][0]["piiController"] == "Department of Transport"
    assert receipt["jurisdiction"] == platform_.catalog.city_name
    assert receipt["policyUrl"] == f"{platform_.config.public_url}/purposes"
    assert receipt["language"] == "ca" and receipt["collectionMethod"] == "citizen portal"
    assert verify_receipt(
        withdrawn.document(), platform_.signing.current("receipts").ed25519.public_key()
    )["state"] == ("withdrawn")
    assert [(a.action, a.purpose, a.resource) for a in audit] == [
        ("consent.give", TRANSPORT, given.record_id),
        ("consent.withdraw", TRANSPORT, withdrawn.record_id),
    ]
    assert all(a.actor == cid and "Rosa" not in a.entry for a in audit)


def test_an_expired_consent_stops_counting(platform_: Platform, citizen: Account) -> None:
    cid = str(citizen.citizen_id)
    with platform_.sessions() as session:
        given = give_consent(
            platform_, session, cid, TRANSPORT, language="en", collector=_portal(citizen)
        )
        session.commit()
        assert given.valid_until is not None
        assert is_active(session, cid, TRANSPORT, given.valid_until - timedelta(seconds=1))
        assert not is_active(session, cid, TRANSPORT, given.valid_until)


def test_bad_requests_are_refused_and_write_nothing(platform_: Platform, citizen: Account) -> None:
    cid = str(citizen.citizen_id)
    with platform_.sessions() as session:
        with pytest.raises(ConsentRequestError) as unknown:
            give_consent(platform_, session, cid, "nope", language="en", collector=_portal(citizen))
        with pytest.raises(ConsentRequestError) as language:
            give_consent(
                platform_, session, cid, TRANSPORT, language="fr", collector=_portal(citizen)
            )
        with pytest.raises(ConsentRequestError) as nothing:
            withdraw_consent(
                platform_, session, cid, TRANSPORT, language="en", collector=_portal(citizen)
            )
        session.rollback()
        assert history(session, cid) == []
    assert (unknown.value.field, unknown.value.status) == ("purpose", 404)
    assert (language.value.field, language.value.status) == ("language", 400)
    assert (nothing.value.field, nothing.value.status) == ("purpose", 409)


def test_giving_publishes_the_notices_of_a_database_never_synced(
    platform_: Platform, citizen: Account
) -> None:
    cid = str(citizen.citizen_id)
    with platform_.sessions() as session:
        event = give_consent(
            platform_, session, cid, TRANSPORT, language="en", collector=_portal(citizen)
        )
        session.commit()
        synced = session.scalars(select(AuditEvent).where(AuditEvent.action == "city.sync")).all()
    assert event.notice_version == 1
    assert len(synced) == 1
