"""Scopes carry the role of the client and, for citizens' grants, the purpose.

======================  ============  ===========================================
scope                   client role   meaning
======================  ============  ===========================================
``openid``, ``profile`` app           OpenID Connect sign-in of a citizen
``consent:read``        app           read the citizen's consents and export their data
``consent:write``       app           give or withdraw the citizen's consents
``purpose:<id>``        app           the citizen's grant for one purpose
``aggregates:request``  department    request differentially private aggregates
``ingest:<dataset>``    source        push records of one dataset
``audit:read``          auditor       read the signed audit log
======================  ============  ===========================================

Anything not in this table is unknown and refused; a scope is only ever
allowed to clients of its role (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CLIENT_ROLES = ("department", "source", "auditor", "app")
FIXED = {
    "openid": "app",
    "profile": "app",
    "consent:read": "app",
    "consent:write": "app",
    "aggregates:request": "department",
    "audit:read": "auditor",
}
# A request's scope is refused beyond these (the catalog has a few dozen values).
MAX_SCOPE_CHARS = 2000
MAX_SCOPE_VALUES = 64
PURPOSE_PREFIX = "purpose:"
INGEST_PREFIX = "ingest:"


def split(scope: str | None) -> list[str]:
    """A scope string as a list, order kept, duplicates dropped."""
    return list(dict.fromkeys((scope or "").split()))


def join(scopes: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(scopes))


def purposes_in(scopes: Iterable[str]) -> list[str]:
    """The purpose ids of the ``purpose:<id>`` scopes."""
    return [s[len(PURPOSE_PREFIX) :] for s in scopes if s.startswith(PURPOSE_PREFIX)]


@dataclass(frozen=True)
class ScopeCatalog:
    """The scopes this platform knows: fixed ones plus one per purpose and dataset."""

    purposes: frozenset[str]
    datasets: frozenset[str]

    def role_of(self, scope: str) -> str | None:
        """The client role a scope belongs to, or ``None`` if the scope is unknown."""
        if scope in FIXED:
            return FIXED[scope]
        if scope.startswith(PURPOSE_PREFIX) and scope[len(PURPOSE_PREFIX) :] in self.purposes:
            return "app"
        if scope.startswith(INGEST_PREFIX) and scope[len(INGEST_PREFIX) :] in self.datasets:
            return "source"
        return None

    def supported(self) -> list[str]:
        """Every scope, for the discovery documents."""
        return [
            *FIXED,
            *(PURPOSE_PREFIX + p for p in sorted(self.purposes)),
            *(INGEST_PREFIX + d for d in sorted(self.datasets)),
        ]

    def problems_for(self, role: str, scopes: Iterable[str]) -> list[str]:
        """Why ``scopes`` cannot be registered for a client of ``role`` (empty if they can)."""
        problems = []
        for scope in scopes:
            owner = self.role_of(scope)
            if owner is None:
                problems.append(f"unknown scope {scope!r}")
            elif owner != role:
                problems.append(f"scope {scope!r} is for {owner} clients, not {role}")
        return problems


def platform_scopes(purposes: Iterable[str], datasets: Iterable[str]) -> ScopeCatalog:
    """The scope catalog of a platform: ``platform_scopes(p.purposes, p.catalog.datasets)``."""
    return ScopeCatalog(purposes=frozenset(purposes), datasets=frozenset(datasets))


def role_for(scope: str) -> str | None:
    """The client role a scope (or scope family) belongs to, without checking ids."""
    if scope in FIXED:
        return FIXED[scope]
    if scope.startswith(PURPOSE_PREFIX):
        return "app"
    if scope.startswith(INGEST_PREFIX):
        return "source"
    return None
