"""The RS256 key that signs ID tokens, and the JWKS that publishes it.

The key file is created by ``civic init`` (:func:`civicdata.keys.ensure_keys`);
its ``kid`` is the RFC 7638 thumbprint, so it changes exactly when the key does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc.jwk import RSAKey

from civicdata.config import Config
from civicdata.keys import OIDC_FILE

ALGORITHM = "RS256"


@dataclass(frozen=True)
class IdTokenKey:
    key: RSAKey

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    def jwks(self) -> dict[str, Any]:
        """The public key set served at ``/oauth/jwks``."""
        return {"keys": [self.key.as_dict(private=False)]}


def load_id_token_key(config: Config) -> IdTokenKey:
    path = config.keys_dir / OIDC_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (run `civic init`)")
    pem = path.read_bytes()
    kid = RSAKey.import_key(pem).thumbprint()
    return IdTokenKey(
        RSAKey.import_key(pem, parameters={"use": "sig", "alg": ALGORITHM, "kid": kid})
    )
