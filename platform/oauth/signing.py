"""The RS256 key that signs ID tokens (the ``oidc`` signing key), and the JWKS that publishes it.

The current key comes from :class:`civicdata.signing.store.SigningKeys`, so a
``civic keys rotate-signing --use oidc`` takes effect on every node; the
JWKS publishes every ``oidc`` key of the history, so ID tokens signed before a
rotation still verify until they expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc.jwk import KeyParameters, RSAKey

from civicdata.signing.history import KeyHistory
from civicdata.signing.store import Signer

ALGORITHM = "RS256"
USE = "oidc"


def _parameters(kid: str) -> KeyParameters:
    return {"use": "sig", "alg": ALGORITHM, "kid": kid}


@dataclass(frozen=True)
class IdTokenKey:
    key: RSAKey

    @property
    def kid(self) -> str:
        return str(self.key.kid)


def id_token_key(signer: Signer) -> IdTokenKey:
    """The current ``oidc`` signer as a JOSE key."""
    pem = signer.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return IdTokenKey(RSAKey.import_key(pem, parameters=_parameters(signer.kid)))


def jwks(history: KeyHistory) -> dict[str, Any]:
    """The public key set served at ``/oauth/jwks``: every ``oidc`` key ever used."""
    return {
        "keys": [
            RSAKey.import_key(key.public_key_pem, parameters=_parameters(key.kid)).as_dict(
                private=False
            )
            for key in history.of_use(USE)
        ]
    }
