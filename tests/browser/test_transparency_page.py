"""An anonymous visitor reads the transparency page, checks a release's signature, sees the
witnessed checkpoint, and the Atom feed validates."""

from __future__ import annotations

import base64
import dataclasses
import json
import re

import pytest
import requests
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from civicdata.context import Platform
from civicdata.releases.service import ReleaseService
from civicdata.witness.client import checkpoint_and_witness, parse_witnesses
from civicdata.witness.cosignature import NOTE_ED25519, vkey
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.test_transparency import (
    STATISTICS,
    STATISTICS_PURPOSE,
    TRANSPORT,
    _city,
)
from tests.platform.witness.test_witness_processes import _start
from tests.support.atom import atom_problems
from tests.support.live_server import serve_platform


def _release(platform: Platform) -> dict[str, str]:
    city = TinyCity(platform)
    people = city.citizens(5)
    city.trips(people, each=2)
    city.consent(people)
    city.consent(people, STATISTICS_PURPOSE)
    service = ReleaseService(platform)
    hidden = service.request(TRANSPORT, count_query("0.5"))
    shown = service.request(STATISTICS, {**count_query("0.25"), "purpose": STATISTICS_PURPOSE})
    return {"hidden": hidden.release.id, "public": shown.release.id}


@pytest.mark.browser
def test_an_anonymous_visitor_verifies_a_public_release_and_sees_the_witnessed_checkpoint(
    config, browser_page, tmp_path
) -> None:
    from playwright.sync_api import expect

    config = dataclasses.replace(config, city_dir=_city(tmp_path))
    probe = Platform.build(config)
    log_vkey = vkey(
        probe.audit_origin, NOTE_ED25519, probe.signing.current("audit").ed25519.public_key()
    )
    probe.engine.dispose()
    witness = _start(tmp_path, "witness.example/civic", log_vkey)
    try:
        listed = json.dumps([{"url": witness.url, "key": witness.vkey}])
        with serve_platform(dataclasses.replace(config, witnesses=listed)) as server:
            platform = server.platform
            assert platform is not None
            ids = _release(platform)
            done = checkpoint_and_witness(
                platform.sessions,
                platform.signing,
                platform.audit_origin,
                parse_witnesses(platform.config.witnesses),
            )
            assert [a.cosigned for a in done.answers] == [True]

            page = browser_page
            page.goto(server.url + "/")
            page.get_by_role("link", name="Transparency", exact=True).click()
            expect(page).to_have_url(re.compile(r"/transparency$"))
            article = page.locator(f"article#{ids['public']}")
            expect(article).to_be_visible()
            expect(article).to_contain_text("City Statistics Office")
            first_row = article.locator("table.cells tbody tr").first
            expect(first_row.locator("td").nth(3)).to_have_text(
                re.compile(r"^-?[\d.e+-]+ – -?[\d.e+-]+$")
            )
            assert ids["hidden"] not in page.content()

            summary = page.locator("#checkpoint-summary")
            expect(summary).to_contain_text(f"held {done.size} entries")
            cosigned = page.locator("#cosignatures tbody tr")
            expect(cosigned).to_have_count(1)
            expect(cosigned.first).to_contain_text("witness.example/civic")
            expect(cosigned.first).to_contain_text("verified")

            article.get_by_role("link", name=re.compile("signed statement")).click()
            expect(
                page.get_by_role("heading", name=f"Public release {ids['public']}")
            ).to_be_visible()
            statement = page.locator("#statement").inner_text()
            signature = page.locator("#signature").inner_text()
            key_id = page.locator("#key-id").inner_text()
            keys = requests.get(server.url + "/.well-known/civic-keys", timeout=10).json()["keys"]
            pem = next(k["public_key_pem"] for k in keys if k["kid"] == key_id)
            assert next(k["use"] for k in keys if k["kid"] == key_id) == "releases"
            message = b"civic-public-release/v1\n" + key_id.encode() + b"\n" + statement.encode()
            load_pem_public_key(pem.encode()).verify(base64.b64decode(signature), message)  # type: ignore[union-attr]
            document = json.loads(statement)
            assert document["id"] == ids["public"] and "requested_by" not in document
            assert all(c["lower"] <= c["value"] <= c["upper"] for c in document["cells"])

            feed = page.request.get(server.url + "/transparency/feed.atom")
            assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
            assert atom_problems(feed.body()) == []
            assert (
                ids["public"].encode() in feed.body() and ids["hidden"].encode() not in feed.body()
            )
    finally:
        witness.process.terminate()
        witness.process.wait(timeout=10)
        if witness.process.stderr is not None:
            witness.process.stderr.close()
