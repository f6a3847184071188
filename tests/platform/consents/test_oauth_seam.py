"""The OAuth consent screen gives real consents; withdrawing them stops the app's tokens."""

from __future__ import annotations

from sqlalchemy import select

from civicdata.consents.apps import authorised_apps, revoke_app
from civicdata.consents.changes import withdraw_consent
from civicdata.consents.recording import Collector, record_withdrawal
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.oauth.models import OAuthAuthorization, OAuthToken
from consent.records import history
from consent.status import states
from tests.support.oauth import citizen_token

SCOPES = ["openid", "consent:read", "purpose:transport-planning", "purpose:energy-efficiency"]
TRANSPORT, ENERGY = "transport-planning", "energy-efficiency"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _citizen_of_grant(platform: Platform) -> str:
    with platform.sessions() as session:
        return str(session.scalars(select(OAuthAuthorization.citizen_id)).one())


def test_the_consent_screen_records_consent_events(client, platform_: Platform) -> None:
    issued = citizen_token(client, platform_, scopes=SCOPES, grant=[SCOPES[2]])
    cid = _citizen_of_grant(platform_)
    with platform_.sessions() as session:
        events = history(session, cid)
        found = states(session, cid, [TRANSPORT, ENERGY], utcnow())
    assert [(e.purpose_id, e.state, e.collection_method) for e in events] == [
        (TRANSPORT, "given", "oauth")
    ]
    assert events[0].client_id == issued["client"].client.client_id
    assert found[TRANSPORT].active and found[ENERGY].state == "none"  # not ticked, not given


def test_withdrawing_in_the_portal_refuses_the_apps_token(client, platform_: Platform) -> None:
    issued = citizen_token(client, platform_, scopes=SCOPES)
    token = issued["access_token"]
    assert client.get("/api/v1/whoami", headers=_bearer(token)).status_code == 200
    cid = _citizen_of_grant(platform_)
    with platform_.sessions() as session:
        withdraw_consent(
            platform_,
            session,
            cid,
            ENERGY,
            language="en",
            collector=Collector(method="portal", actor=cid),
        )
        session.commit()
        revoked = session.scalars(select(OAuthToken.revoked_at)).all()
    assert all(at is not None for at in revoked)  # the grant carrying the purpose is withdrawn
    assert client.get("/api/v1/whoami", headers=_bearer(token)).status_code == 401


def test_a_withdrawn_consent_refuses_the_token_even_without_revocation(
    client, platform_: Platform
) -> None:
    issued = citizen_token(client, platform_, scopes=SCOPES)
    cid = _citizen_of_grant(platform_)
    with platform_.sessions() as session:  # the domain alone: no OAuth revocation step
        record_withdrawal(
            platform_,
            session,
            cid,
            platform_.purposes[TRANSPORT],
            language="en",
            collector=Collector(method="portal", actor=cid),
            now=utcnow(),
        )
        session.commit()
        assert session.scalars(select(OAuthToken.revoked_at)).one() is None
    response = client.get("/api/v1/whoami", headers=_bearer(issued["access_token"]))
    assert response.status_code == 401
    assert "withdrawn or expired" in response.json["detail"]


def test_revoking_the_app_withdraws_what_it_collected(client, platform_: Platform) -> None:
    issued = citizen_token(client, platform_, scopes=SCOPES)
    client_id = issued["client"].client.client_id
    cid = _citizen_of_grant(platform_)
    with platform_.sessions() as session:
        assert [a.client_id for a in authorised_apps(session, cid)] == [client_id]
        assert revoke_app(platform_, session, cid, client_id, language="en") == (
            1,
            [TRANSPORT, ENERGY],
        )
        session.commit()
        found = states(session, cid, [TRANSPORT, ENERGY], utcnow())
        assert authorised_apps(session, cid) == []
        assert revoke_app(platform_, session, cid, "unknown-client", language="en") == (0, [])
    assert {s.state for s in found.values()} == {"withdrawn"}
    assert client.get("/api/v1/whoami", headers=_bearer(issued["access_token"])).status_code == 401
