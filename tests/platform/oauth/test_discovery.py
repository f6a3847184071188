"""Discovery documents and the JWKS describe exactly what the server does."""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwk import RSAKey

from civicdata.signing.material import key_path


def test_openid_configuration_is_valid_and_strict(client, config) -> None:
    document = client.get("/.well-known/openid-configuration").json
    OpenIDProviderMetadata(document).validate()
    assert document["issuer"] == config.public_url
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert "implicit" not in document["grant_types_supported"]
    assert "password" not in document["grant_types_supported"]
    assert "purpose:transport-planning" in document["scopes_supported"]
    assert "ingest:trips" in document["scopes_supported"]


def test_oauth_authorization_server_metadata_is_valid(client) -> None:
    document = client.get("/.well-known/oauth-authorization-server").json
    AuthorizationServerMetadata(document).validate()
    assert document["revocation_endpoint"].endswith("/oauth/revoke")
    assert document["introspection_endpoint"].endswith("/oauth/introspect")


def test_jwks_publishes_the_public_id_token_key_only(client, keys_dir, platform_) -> None:
    jwks = client.get("/oauth/jwks").json
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key and "p" not in key
    kid = platform_.signing.current("oidc").kid
    path = key_path(keys_dir, kid)
    on_disk = RSAKey.import_key(path.read_bytes())
    assert key["kid"] == kid and key["n"] == on_disk.as_dict()["n"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
