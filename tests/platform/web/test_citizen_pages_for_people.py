"""The citizen's pages in plain words: no machine identifiers, one navigation, sentences, one card per app."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from civicdata.context import Platform
from civicdata.identity.models import Account
from tests.support.oauth import (
    authorize_url,
    citizen_token,
    code_from,
    consent,
    csrf_token,
    new_app_client,
    new_citizen,
    pkce_pair,
    sign_in,
)

EMAIL = "marta@example.org"
TRANSPORT = "transport-planning"
TRANSPORT_TITLE = "Planning bus, metro and tram services"
WATER = "water-management"
WATER_TITLE = "Managing the water network"
# What a resident should never have to read.
JARGON = re.compile(r"dpv:|\bP\d+[YMD]\b|library_loans|citizen\.export|consent\.withdraw|purpose:")


def _signed_in(client: FlaskClient, platform: Platform) -> Account:
    account = new_citizen(platform, EMAIL)
    assert sign_in(client, EMAIL).status_code == 302
    return account


def _post(client: FlaskClient, url: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client.get("/my/").text), **form})


def _visible(html: str) -> str:
    """The page's text without tags and attribute values (URLs may hold ids)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_pages_speak_plain_words_and_have_one_navigation(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    for path in ("/my/", "/purposes", "/my/history", "/my/apps", "/my/data", "/my/activity",
                 "/my/privacy-loss", "/my/erase"):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, path
        assert not JARGON.search(_visible(page.text)), (path, JARGON.search(_visible(page.text)))
        assert page.text.count("<nav") == 1, path  # the header's, no second bar
        assert 'aria-current="page"' in page.text or path in ("/purposes", "/my/erase"), path
    dashboard = client.get("/my/").text
    assert "Public transport trips" in dashboard and "your consent" in dashboard
    purposes = client.get("/purposes").text
    assert "2 years" in purposes and "1 year" in purposes and "6 months" in purposes


def test_a_public_interest_purpose_offers_the_right_to_object(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    page = client.get("/my/").text
    water = page[page.index(f'id="purpose-{WATER}"') :]
    water = water[: water.index("</article>")]
    assert "a task in the public interest" in water and "Article 21" in water
    assert "Give consent" not in water and f"Allow this use: {WATER_TITLE}" in water
    transport = page[page.index(f'id="purpose-{TRANSPORT}"') :]
    assert f"Give consent: {TRANSPORT_TITLE}" in transport[: transport.index("</article>")]

    _post(client, f"/my/consents/{WATER}", action="give")
    allowed = client.get("/my/").text
    assert f"You allowed “{WATER_TITLE}” to use your data." in allowed
    assert f"Object to this use: {WATER_TITLE}" in allowed
    _post(client, f"/my/consents/{WATER}", action="withdraw")
    assert f"You objected to “{WATER_TITLE}”" in client.get("/my/").text


def test_history_is_told_in_sentences_with_a_receipt_each(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    _post(client, f"/my/consents/{TRANSPORT}", action="withdraw")
    page = client.get("/my/history").text
    assert f"You withdrew consent to “{TRANSPORT_TITLE}” on " in page
    assert f"You gave consent to “{TRANSPORT_TITLE}” on " in page
    assert page.index("You withdrew") < page.index("You gave")  # newest first
    assert len(re.findall(r'href="/my/receipts/[^"]+\.json"', page)) == 2
    old_address = client.get("/my/receipts").text  # shows the same list
    assert (
        old_address[old_address.index('<ol class="sentences"') :]
        == page[page.index('<ol class="sentences"') :]
    )


def test_one_card_per_app_with_scopes_in_words(client, platform_: Platform) -> None:
    registered = new_app_client(platform_, ["openid", "consent:read", f"purpose:{TRANSPORT}"])
    _signed_in(client, platform_)
    for scope in ("openid", f"openid consent:read purpose:{TRANSPORT}"):
        _verifier, challenge = pkce_pair()
        code_from(consent(client, authorize_url(registered, scope, challenge), []))
    page = client.get("/my/apps").text
    assert page.count("<h2>Test app</h2>") == 1
    assert "know that it is you" in page
    assert "see which purposes you agreed to and download your data" in page
    assert ">openid<" not in page and "consent:read" not in page


def test_the_consent_screen_ticks_purposes_already_given(client, platform_: Platform) -> None:
    registered = new_app_client(platform_, ["openid", f"purpose:{TRANSPORT}", f"purpose:{WATER}"])
    _signed_in(client, platform_)
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    _verifier, challenge = pkce_pair()
    url = authorize_url(registered, f"openid purpose:{TRANSPORT} purpose:{WATER}", challenge)
    page = client.get(url).text
    boxes = dict(
        re.findall(r'value="purpose:([a-z-]+)"\s+aria-describedby="[^"]+"( checked)?', page)
    )
    assert boxes == {TRANSPORT: " checked", WATER: ""}
    assert "Test app will be able to" in page and "know that it is you" not in page
    assert "Article 21" in page  # water is a public task


def test_activity_is_sentences_with_one_proof_for_the_page(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    _post(client, f"/my/consents/{TRANSPORT}", action="give")
    _post(client, f"/my/consents/{TRANSPORT}", action="withdraw")
    page = client.get("/my/activity").text
    assert f"You withdrew consent to “{TRANSPORT_TITLE}”" in page
    assert "You signed in" in page
    entries = len(re.findall(r'<li id="entry-\d+"', page))
    assert entries >= 3
    assert page.count('id="proof-summary"') == 1
    assert f"All {entries} entries on this page are proven to be in the signed log" in page
    assert len(re.findall(r"\b[0-9a-f]{64}\b", page)) == 1  # the checkpoint's root, once


def test_privacy_loss_is_explained_in_words(client, platform_: Platform) -> None:
    _signed_in(client, platform_)
    page = client.get("/my/privacy-loss").text
    assert "privacy loss and is written ε (epsilon)" in page
    assert "You have used 0 of the" in page and "Public transport trips" in page


def test_an_app_the_citizen_revoked_after_citizen_token_is_gone(
    client, platform_: Platform
) -> None:
    issued = citizen_token(client, platform_, scopes=["openid", f"purpose:{TRANSPORT}"])
    url = f"/my/apps/{issued['client'].client.client_id}/revoke"
    answer = _post(client, url)
    assert answer.status_code == 302
    assert "the consent it collected was withdrawn" in client.get("/my/apps").text
