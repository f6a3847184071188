"""The platform's long-lived parts, built once per process from the config.

Both the web app and the CLI build one :class:`Platform`: the database engine
and session factory, the keys, the vault, the dataset catalog and the purposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from civicdata.audit.log import SIGNER_KEY
from civicdata.config import Config
from civicdata.db import make_engine, make_sessionmaker
from civicdata.keys import KeySet, load_keys
from civicdata.signing.store import SigningKeys
from civicdata.vault import Vault
from consent.append_only import guard_append_only
from consent.purposes import Purpose, load_purposes
from policies.catalog import Catalog, load_catalog
from policies.loader import load_policy_set
from policies.model import PolicySet


@dataclass
class Platform:
    """Shared, thread-safe services of one platform instance."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def build(cls, config: Config) -> Platform:
        engine = make_engine(config.database_url)
        platform = cls(config=config, engine=engine, sessions=make_sessionmaker(engine))
        # Sessions sign audit entries with the current audit key, loaded on first use.
        platform.sessions.configure(info={SIGNER_KEY: lambda: platform.signing.current("audit")})
        guard_append_only(engine)  # consent history is never updated or deleted
        return platform

    @cached_property
    def keys(self) -> KeySet:
        return load_keys(self.config)

    @cached_property
    def signing(self) -> SigningKeys:
        """The signing keys per use, their history and rotation."""
        return SigningKeys(self.config.keys_dir, self.sessions)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.keys.keyring)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.config.city_dir / "catalog.yaml")

    @property
    def audit_origin(self) -> str:
        """The name of this platform's audit log, in its signed checkpoints."""
        return f"{self.catalog.city_id}/civic-audit"

    @cached_property
    def purposes(self) -> dict[str, Purpose]:
        catalog = self.catalog
        return load_purposes(
            self.config.city_dir / "purposes.yaml",
            datasets=set(catalog.datasets),
            departments=set(catalog.departments),
        )

    @cached_property
    def policy_set(self) -> PolicySet:
        """The access policies in the city's policy directory, validated."""
        return load_policy_set(self.config.city_dir / "policies", self.catalog, self.purposes)
