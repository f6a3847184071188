"""OpenID Connect ``prompt`` and OAuth ``response_mode`` at the authorization endpoint.

``prompt=none``: never show a page; the answer goes back to the client's
redirect URI as ``login_required`` (nobody, or no resident, is signed in) or
``consent_required`` (this server asks the resident for every authorization,
because each one records a consent receipt, so consent is never pre-given).
``prompt=login``: the resident signs in again before the consent screen.
``prompt=consent``: the consent screen, which is always shown anyway.
Only the advertised ``query`` response mode is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from authlib.oauth2.rfc6749 import InvalidRequestError

PROMPTS = frozenset({"none", "login", "consent", "select_account"})
RESPONSE_MODES = ("query",)


def check_response_mode(values: Mapping[str, str]) -> None:
    """Refuse a response mode the discovery document does not advertise."""
    mode = values.get("response_mode")
    if mode is not None and mode not in RESPONSE_MODES:
        raise InvalidRequestError(f"response_mode: only {', '.join(RESPONSE_MODES)} is supported.")


def requested_prompts(values: Mapping[str, str]) -> frozenset[str]:
    """The ``prompt`` values; ``none`` with any other, or an unknown value, is refused."""
    prompts = frozenset((values.get("prompt") or "").split())
    if not prompts <= PROMPTS:
        raise InvalidRequestError(f"prompt: values are {', '.join(sorted(PROMPTS))}.")
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequestError("prompt: 'none' cannot be combined with other values.")
    return prompts
