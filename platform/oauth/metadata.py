"""Discovery documents: RFC 8414 server metadata and OpenID Connect provider metadata."""

from __future__ import annotations

from typing import Any

from civicdata.i18n import LOCALES
from civicdata.oauth.grants import AUTH_METHODS
from civicdata.oauth.prompt import PROMPTS, RESPONSE_MODES
from civicdata.oauth.signing import ALGORITHM

LANGUAGES = LOCALES  # the consent screen and the portal speak the same languages


def server_metadata(issuer: str, scopes_supported: list[str]) -> dict[str, Any]:
    """What clients need to know, from the configured public URL (the issuer)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "scopes_supported": scopes_supported,
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "prompt_values_supported": sorted(PROMPTS),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "claims_supported": [
            "sub",
            "name",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
        ],
        "ui_locales_supported": list(LANGUAGES),
    }
