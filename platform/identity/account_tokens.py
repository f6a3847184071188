"""Signed, expiring, single-use tokens for email verification and password reset.

A token is an itsdangerous signature (keyed by the app's secret, salted per
purpose) over the account id and a fingerprint of the account state the
token may change: for a reset, the password hash; for a verification, the
login digest and the fact that it is still unverified. Using the token
changes that state, so the same token never works twice, with no table of
used tokens; a new password also kills every older reset link. The lifetime
is checked against the issue time inside the signature.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from civicdata.i18n import gettext
from civicdata.identity.models import Account

Purpose = Literal["verify", "reset"]


class TokenError(ValueError):
    """The link is not valid: forged, expired or used already (the message says which)."""


def _fingerprint(purpose: Purpose, account: Account) -> str:
    if purpose == "reset":
        state = f"{account.password_hash}|{account.disabled_at is None}"
    else:
        state = f"{account.login_digest.hex()}|{account.email_verified_at is None}"
    return hashlib.sha256(f"{purpose}|{account.id}|{state}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AccountTokens:
    """Issues and checks the tokens of one purpose."""

    secret_key: str
    purpose: Purpose
    lifetime: timedelta

    @property
    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"civic-account-{self.purpose}")

    def issue(self, account: Account) -> str:
        payload = {"a": account.id, "f": _fingerprint(self.purpose, account)}
        return str(self._serializer.dumps(payload))

    def redeem(self, session: Session, token: str, now: datetime) -> Account:
        """The account the token is for, locked for update; it is the caller's to change."""
        try:
            payload, issued = self._serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise TokenError(gettext("This link is not valid.")) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("a"), str):
            raise TokenError(gettext("This link is not valid."))
        if now - issued.astimezone(UTC) > self.lifetime:
            raise TokenError(gettext("This link has expired. Ask for a new one."))
        account = session.get(Account, payload["a"], with_for_update=True)
        if account is None or account.disabled_at is not None:
            raise TokenError(gettext("This link is not valid."))
        if payload.get("f") != _fingerprint(self.purpose, account):
            raise TokenError(
                gettext("This link has been used already. Ask for a new one if you need it.")
            )
        return account
