"""The citizen portal over HTTP: consent buttons, language, review, receipts, apps, data, erase."""

from __future__ import annotations

import json
from datetime import timedelta

from flask.testing import FlaskClient

from civicdata.city import sync_city
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.models import Account
from consent.notices import sync_notices
from consent.receipts import verify_receipt
from consent.records import history
from tests.consent.helpers import reworded
from tests.support.oauth import PASSWORD, citizen_token, csrf_token, new_citizen, new_staff, sign_in

EMAIL = "jordi@example.org"
TRANSPORT = "transport-planning"


def _signed_in(client: FlaskClient, platform: Platform) -> Account:
    account = new_citizen(platform, EMAIL, name="Jordi")
    assert sign_in(client, EMAIL).status_code == 302
    return account


def _post(client: FlaskClient, url: str, **form: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/my/").text)
    return client.post(url, data={"csrf_token": token, **form})


def test_giving_and_withdrawing_from_the_dashboard(client, platform_: Platform) -> None:
    account = _signed_in(client, platform_)
    page = client.get("/my/")
    assert page.status_code == 200 and "Planning bus, metro and tram services" in page.text
    assert _post(client, f"/my/consents/{TRANSPORT}", action="give").status_code == 302
    assert "Withdraw consent: Planning bus" in client.get("/my/").text
    assert _post(client, f"/my/consents/{TRANSPORT}", action="withdraw").status_code == 302
    with platform_.sessions() as session:
        events = history(session, str(account.citizen_id))
    assert [(e.state, e.collection_method) for e in events] == [
        ("given", "portal"),
        ("withdrawn", "portal"),
    ]
    assert "Withdrawn: not used" in client.get("/my/").text
    assert _post(client, f"/my/consents/{TRANSPORT}", action="withdraw").status_code == 409
    assert _post(client, "/my/consents/no-such-purpose", action="give").status_code == 404
    assert _post(client, f"/my/consents/{TRANSPORT}", action="erase").status_code == 400
    csrf_less = client.post(f"/my/consents/{TRANSPORT}", data={"action": "give"})
    assert csrf_less.status_code == 400
    with platform_.sessions() as session:
        assert len(history(session, str(account.citizen_id))) == 2  # refusals changed nothing


def test_the_language_switch_changes_the_notices_for_the_session(
    client, platform_: Platform
) -> None:
    _signed_in(client, platform_)
    assert "Planificar els serveis" not in client.get("/my/").text
    switched = _post(client, "/language", language="ca", next="/my/")
    assert switched.status_code == 302 and switched.headers["Location"] == "/my/"
    page = client.get("/my/")
    assert "Planificar els serveis de bus, metro i tramvia" in page.text
    assert '<html lang="ca">' in page.text
    assert _post(client, "/language", language="fr").status_code == 400
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    receipt = json.loads(_first_receipt(client))
    assert receipt["receipt"]["language"] == "ca"


def _first_receipt(client: FlaskClient) -> str:
    page = client.get("/my/history").text
    start = page.index("/my/receipts/")
    url = page[start : page.index('"', start)]
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    return response.text


def test_receipts_download_and_verify(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    document = json.loads(_first_receipt(client))
    assert (
        verify_receipt(document, platform_.signing.current("receipts").ed25519.public_key())[
            "purposeId"
        ]
        == TRANSPORT
    )
    assert client.get("/my/receipts/not-mine.json").status_code == 404


def test_a_new_notice_version_is_surfaced_as_needing_review(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    with platform_.sessions() as session:
        changed = reworded(platform_.purposes[TRANSPORT], material=True)
        sync_notices(session, {TRANSPORT: changed}, utcnow() + timedelta(microseconds=1))
        session.commit()
    page = client.get("/my/").text
    assert "the notice has changed since you read it" in page
    assert "your data is not used until you agree again" in page
    assert "Agree to the new notice: Planning bus" in page


def test_apps_are_listed_and_revoked(client, platform_: Platform) -> None:
    issued = citizen_token(client, platform_, scopes=["openid", f"purpose:{TRANSPORT}"])
    name = issued["client"].client.name
    assert f"Revoke {name}" in client.get("/my/apps").text
    url = f"/my/apps/{issued['client'].client.client_id}/revoke"
    assert _post(client, url).status_code == 302
    assert f"Revoke {name}" not in client.get("/my/apps").text
    assert _post(client, url).status_code == 404
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert client.get("/api/v1/whoami", headers=bearer).status_code == 401


def test_my_data_is_shown_and_downloadable(client, platform_: Platform) -> None:
    account = _signed_in(client, platform_)
    page = client.get("/my/data")
    assert page.status_code == 200 and EMAIL in page.text and "Jordi" in page.text
    download = client.get("/my/data.json")
    data = download.get_json(force=True)
    assert data["citizen"] == {
        "pseudonym": account.citizen_id,
        "registered_at": data["citizen"]["registered_at"],
        "name": "Jordi",
        "email": EMAIL,
    }
    assert download.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'


def test_erase_needs_confirmation_and_password_then_sign_in_fails(
    client, platform_: Platform
) -> None:
    _signed_in(client, platform_)
    form = client.get("/my/erase")
    token = csrf_token(form.text)
    wrong = client.post("/my/erase", data={"csrf_token": token, "confirm": "yes", "password": "x"})
    assert wrong.status_code == 400 and "password is not right" in wrong.text
    unconfirmed = client.post("/my/erase", data={"csrf_token": token, "password": PASSWORD})
    assert unconfirmed.status_code == 400 and 'id="confirm-errors"' in unconfirmed.text
    erased = client.post(
        "/my/erase", data={"csrf_token": token, "confirm": "yes", "password": PASSWORD}
    )
    assert erased.status_code == 200 and "Your data is erased" in erased.text
    assert client.get("/my/").status_code == 302  # signed out
    assert sign_in(client, EMAIL).status_code == 401


def test_other_roles_and_anonymous_visitors_are_kept_out(client, platform_: Platform) -> None:
    assert client.get("/my/").status_code == 302
    sync_city(platform_)
    assert "Planning bus" in client.get("/purposes").text  # public
    new_staff(platform_, "analyst", "ana@transport.example", department="transport")
    sign_in(client, "ana@transport.example")
    assert client.get("/my/").status_code == 403
