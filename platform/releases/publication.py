"""Publishing a release whose policy is public: a public statement, signed on its own.

A release document names who asked (``requested_by``: an OAuth client or a
staff account), and its signature covers that name, so it cannot be published
as it is. When the policy that grants a release is marked ``public``, the
release service also stores, in the same transaction, a **public statement**:
the release document restricted to :data:`PUBLIC_FIELDS` (the department
stays, who asked does not), signed by the releases key over

    b"civic-public-release/v1\\n" + key_id + b"\\n" + canonical JSON of the statement

The context differs from a release signature's (``civic-release/v2``), so
neither signature can be passed off as the other. Anyone checks it with the
``releases`` key named by ``key_id`` in the published history
(``GET /.well-known/civic-keys``) and ``cryptography`` alone::

    message = b"civic-public-release/v1\\n" + kid.encode() + b"\\n" + json.dumps(
        release, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    load_pem_public_key(pem).verify(base64.b64decode(signature), message)

or with ``civic releases verify FILE`` on the JSON of
``GET /api/v1/transparency/releases/<id>``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy.orm import Session

from civicdata.audit.log import canonical_json
from civicdata.models import PublicRelease
from civicdata.releases.signing import ALGORITHM, USE
from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError
from civicdata.signing.store import Signer

CONTEXT = b"civic-public-release/v1\n"
COVERS = "b'civic-public-release/v1\\n' + key_id + b'\\n' + canonical JSON of 'release'"
# What a public statement keeps of a release document: every DP value and its
# accuracy, the query, the cost, the policy and the department; never who asked.
PUBLIC_FIELDS = (
    "id",
    "created_at",
    "consent_checked_at",
    "department",
    "policy_id",
    "policy_set_hash",
    "query",
    "query_hash",
    "mechanism",
    "epsilon",
    "delta",
    "rho",
    "noise",
    "cells",
    "truncation",
)


def public_document(document: dict[str, Any]) -> dict[str, Any]:
    """The public statement of a release document: only :data:`PUBLIC_FIELDS`."""
    return {key: document[key] for key in PUBLIC_FIELDS if key in document}


def signing_input(statement: dict[str, Any], kid: str) -> bytes:
    """The bytes a public statement's signature covers."""
    return CONTEXT + kid.encode("utf-8") + b"\n" + canonical_json(statement)


def publish(
    session: Session, document: dict[str, Any], signer: Signer, published_at: datetime
) -> PublicRelease:
    """Sign and add the public statement of the release ``document`` (the caller commits)."""
    if signer.use != USE:
        raise SigningKeyError(f"a {signer.use} key must not sign public releases")
    statement = public_document(document)
    signature = base64.b64encode(signer.ed25519.sign(signing_input(statement, signer.kid)))
    query = statement["query"]
    row = PublicRelease(
        release_id=statement["id"],
        dataset=query["dataset"],
        department=statement["department"],
        purpose=query["purpose"],
        document=canonical_json(statement).decode("utf-8"),
        signature=signature.decode(),
        key_id=signer.kid,
        published_at=published_at,
    )
    session.add(row)
    return row


def signature_block(row: PublicRelease) -> dict[str, str]:
    """How a stored statement's signature is shown: algorithm, key id, value, what it covers."""
    return {"algorithm": ALGORITHM, "key_id": row.key_id, "value": row.signature, "covers": COVERS}


def statement_of(row: PublicRelease) -> dict[str, Any]:
    """The stored public statement, exactly as signed."""
    loaded: dict[str, Any] = json.loads(row.document)
    return loaded


def verify(statement: dict[str, Any], signature: str, kid: str, history: KeyHistory) -> None:
    """Check a public statement's signature by the releases key ``kid`` of ``history``.

    Raises ``SigningKeyError`` for an unknown key or one of another use and
    ``InvalidSignature`` if the signature does not fit the statement.
    """
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error:
        raise InvalidSignature("the signature is not base64") from None
    history.ed25519(kid, USE).verify(raw, signing_input(statement, kid))
