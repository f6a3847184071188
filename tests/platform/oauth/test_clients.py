"""Client registration checks role, scopes, redirect URIs and department."""

from __future__ import annotations

import pytest

from civicdata.oauth.clients import ClientError, redirect_uri_problem, register_client
from civicdata.oauth.scopes import ScopeCatalog, role_for

CATALOG = ScopeCatalog(purposes=frozenset({"transport-planning"}), datasets=frozenset({"trips"}))


def _register(session, **overrides):
    spec = {
        "name": "Transport desk",
        "role": "department",
        "scopes": ["aggregates:request"],
        "redirect_uris": [],
        "department": "transport",
    }
    spec.update(overrides)
    return register_client(session, scope_catalog=CATALOG, departments={"transport"}, **spec)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"name": " "}, "name"),
        ({"scopes": []}, "scope"),
        ({"scopes": ["audit:read"]}, "scope"),
        ({"scopes": ["ingest:unknown"], "role": "source", "department": None}, "scope"),
        ({"department": None}, "department"),
        ({"department": "nowhere"}, "department"),
        ({"redirect_uris": ["https://x.example/cb"]}, "redirect_uri"),
        ({"role": "app", "scopes": ["openid"], "department": None}, "redirect_uri"),
        (
            {
                "role": "app",
                "scopes": ["openid"],
                "department": None,
                "redirect_uris": ["http://x.example/cb"],
            },
            "redirect_uri",
        ),
        ({"role": "auditor", "scopes": ["audit:read"]}, "department"),
    ],
)
def test_bad_registrations_name_the_field(platform_, overrides, field) -> None:
    with platform_.sessions() as session, pytest.raises(ClientError) as caught:
        _register(session, **overrides)
    assert caught.value.field == field


def test_registration_returns_the_secret_once(platform_) -> None:
    with platform_.sessions() as session:
        registered = _register(session)
        assert registered.client.check_client_secret(registered.secret)
        assert not registered.client.check_client_secret(registered.secret + "x")
        assert registered.secret not in registered.client.secret_hash


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://app.example.org/callback", True),
        ("http://127.0.0.1:8400/callback", True),
        ("http://[::1]:8400/callback", True),
        ("http://localhost/cb", True),
        ("http://app.example.org/callback", False),
        ("https://app.example.org/cb#frag", False),
        ("javascript:alert(1)", False),
        ("/relative", False),
    ],
)
def test_redirect_uri_rules(uri, ok) -> None:
    assert (redirect_uri_problem(uri) is None) is ok


def test_scope_roles() -> None:
    assert CATALOG.role_of("purpose:transport-planning") == "app"
    assert CATALOG.role_of("purpose:other") is None
    assert CATALOG.role_of("ingest:trips") == "source"
    assert role_for("aggregates:request") == "department" and role_for("admin") is None
