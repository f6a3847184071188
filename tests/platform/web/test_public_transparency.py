"""The public transparency page, release pages, Atom feed and JSON mirror, without signing in."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicdata.app import create_app
from civicdata.audit.log import canonical_json
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.releases.service import ReleaseService
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.test_transparency import (
    STATISTICS,
    STATISTICS_PURPOSE,
    TRANSPORT,
    _city,
)
from tests.support.atom import atom_problems
from tests.support.oauth import new_citizen, sign_in


@pytest.fixture
def platform2(tmp_path: Path, config: Config) -> Iterator[Platform]:
    built = Platform.build(dataclasses.replace(config, city_dir=_city(tmp_path)))
    yield built
    built.engine.dispose()


@pytest.fixture
def released(platform2: Platform) -> dict[str, str]:
    city = TinyCity(platform2)
    people = city.citizens(5)
    city.trips(people, each=2)
    city.consent(people)
    city.consent(people, STATISTICS_PURPOSE)
    service = ReleaseService(platform2)
    hidden = service.request(TRANSPORT, count_query("0.5"))
    shown = service.request(STATISTICS, {**count_query("0.25"), "purpose": STATISTICS_PURPOSE})
    return {"hidden": hidden.release.id, "public": shown.release.id}


@pytest.fixture
def client2(platform2: Platform):  # type: ignore[no-untyped-def]
    return create_app(platform=platform2).test_client()


def _public_cache(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.cache_control.public and answer.cache_control.max_age == 60
    assert "no-store" not in answer.headers["Cache-Control"]


def test_the_page_lists_public_releases_only_without_sign_in(client2, released) -> None:
    answer = client2.get("/transparency")
    assert answer.status_code == 200
    _public_cache(answer)
    html = answer.get_data(as_text=True)
    assert released["public"] in html and released["hidden"] not in html
    assert "City Statistics Office" in html and "95 % interval" in html
    assert "client:transport-secret-app" not in html and "statistician-007" not in html
    assert 'id="policies"' in html and "transport-trips" not in html  # names, not ids
    assert "Department of Transport" in html  # its policy is listed, its release is not
    assert "No witness has cosigned a checkpoint yet." in html

    page = client2.get(f"/transparency/releases/{released['public']}")
    assert page.status_code == 200
    _public_cache(page)
    assert client2.get(f"/transparency/releases/{released['hidden']}").status_code == 404
    assert client2.get("/transparency?before=x").status_code == 400


def test_the_page_is_the_same_for_a_signed_in_citizen(client2, platform2, released) -> None:
    anonymous = client2.get("/transparency").get_data(as_text=True)
    new_citizen(platform2, "reader@example.org")
    sign_in(client2, "reader@example.org")
    seen = client2.get("/transparency").get_data(as_text=True)
    assert "Your account" not in seen and "reader@example.org" not in seen
    strip = [line for line in seen.splitlines() if "generated" not in line]
    assert strip == [line for line in anonymous.splitlines() if "generated" not in line]


def test_the_json_mirror_holds_the_same_signed_statements(client2, platform2, released) -> None:
    answer = client2.get("/api/v1/transparency")
    assert answer.status_code == 200
    _public_cache(answer)
    body = answer.json
    assert [r["id"] for r in body["releases"]] == [released["public"]]
    assert released["hidden"] not in answer.get_data(as_text=True)
    assert "requested_by" not in json.dumps(body)
    release = body["releases"][0]
    keys = client2.get(body["keys"]).json["keys"]
    key_id = release["signature"]["key_id"]
    pem = next(k["public_key_pem"] for k in keys if k["kid"] == key_id and k["use"] == "releases")
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    message = (
        b"civic-public-release/v1\n" + key_id.encode() + b"\n" + canonical_json(release["release"])
    )
    load_pem_public_key(pem.encode()).verify(  # type: ignore[union-attr]
        base64.b64decode(release["signature"]["value"]), message
    )
    one = client2.get(f"/api/v1/transparency/releases/{released['public']}")
    assert one.status_code == 200 and one.json["release"] == release["release"]
    assert client2.get(f"/api/v1/transparency/releases/{released['hidden']}").status_code == 404
    bad = client2.get("/api/v1/transparency?limit=0")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert "limit" in bad.get_data(as_text=True)


def test_the_feed_is_valid_atom_with_one_entry_per_public_release(client2, released) -> None:
    answer = client2.get("/transparency/feed.atom")
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
    _public_cache(answer)
    document = answer.get_data()
    assert atom_problems(document) == []
    assert released["public"].encode() in document
    assert released["hidden"].encode() not in document
    assert document.count(b"<entry>") == 1


def test_the_atom_check_fails_on_broken_feeds(client2, released) -> None:
    document = client2.get("/transparency/feed.atom").get_data()
    assert atom_problems(document.replace(b"</feed>", b"")) != []  # not well-formed
    no_id = document.replace(b"<id>http://localhost/transparency/releases/", b"<x>", 1)
    no_id = no_id.replace(
        f"{released['public']}</id>".encode(), f"{released['public']}</x>".encode()
    )
    assert any("entry 0" in p for p in atom_problems(no_id))
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert atom_problems(rss) != []


def test_an_empty_feed_is_still_valid_atom(client2) -> None:
    document = client2.get("/transparency/feed.atom").get_data()
    assert atom_problems(document) == []
    assert b"<entry>" not in document


def test_the_landing_page_and_footer_link_to_the_transparency_page(client2) -> None:
    html = client2.get("/").get_data(as_text=True)
    assert html.count('href="/transparency"') >= 2


def test_civic_releases_verify_checks_a_public_release_from_the_mirror(
    client2, platform2, released, tmp_path
) -> None:
    from click.testing import CliRunner

    from civicdata.cli import cli
    from tests.support.cli import cli_env

    body = client2.get(f"/api/v1/transparency/releases/{released['public']}").json
    keys = tmp_path / "civic-keys.json"
    keys.write_text(client2.get("/.well-known/civic-keys").get_data(as_text=True))
    saved = tmp_path / "public.json"
    saved.write_text(json.dumps(body))
    env = cli_env(platform2.config)
    runner = CliRunner()
    ok = runner.invoke(cli, ["releases", "verify", str(saved), "--keys", str(keys)], env=env)
    assert ok.exit_code == 0 and ok.output.startswith("OK: public release"), ok.output
    body["release"]["epsilon"] = "0.01"
    saved.write_text(json.dumps(body))
    bad = runner.invoke(cli, ["releases", "verify", str(saved), "--keys", str(keys)], env=env)
    assert bad.exit_code == 1 and "signature does not match" in bad.output
    body = client2.get(f"/api/v1/transparency/releases/{released['public']}").json
    body["signature"]["covers"] = "something else"  # checked as a private release: refused
    saved.write_text(json.dumps(body))
    other = runner.invoke(cli, ["releases", "verify", str(saved), "--keys", str(keys)], env=env)
    assert other.exit_code == 1
