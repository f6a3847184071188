"""The per-app OAuth services, looked up by grants, routes and the server alike.

Low in the import graph on purpose: grants need the ID-token key and the
server needs the scope catalog while a request runs, and neither may import
:mod:`civicdata.oauth.server`, which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import current_app

from civicdata.context import Platform
from civicdata.oauth.scopes import ScopeCatalog, platform_scopes
from civicdata.oauth.signing import USE, IdTokenKey, id_token_key

EXTENSION = "civic_oauth"


@dataclass
class OAuthState:
    """Per-app OAuth services, kept in ``app.extensions["civic_oauth"]``.

    The scope catalog and the ID-token key load on first use, so an app starts
    (health probes, portal) even before ``civic init`` has created the key.
    """

    server: AuthorizationServer
    platform: Platform
    _id_keys: dict[str, IdTokenKey] = field(default_factory=dict)

    @cached_property
    def scopes(self) -> ScopeCatalog:
        return platform_scopes(self.platform.purposes, self.platform.catalog.datasets)

    @property
    def id_key(self) -> IdTokenKey:
        """The ``oidc`` key signing ID tokens now (the key history says which)."""
        signer = self.platform.signing.current(USE)
        key = self._id_keys.get(signer.kid)
        if key is None:
            key = self._id_keys[signer.kid] = id_token_key(signer)
        return key


def oauth_state() -> OAuthState:
    """The running app's OAuth services."""
    return cast(OAuthState, current_app.extensions[EXTENSION])
