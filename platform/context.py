"""The platform's long-lived parts, built once per process from the config.

Both the web app and the CLI build one :class:`Platform`: the database engine
and session factory, the keys, the vault, the dataset catalog and the purposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from civicdata.config import Config
from civicdata.db import make_engine, make_sessionmaker
from civicdata.keys import KeySet, load_keys
from civicdata.vault import Vault
from consent.purposes import Purpose, load_purposes
from policies.catalog import Catalog, load_catalog


@dataclass
class Platform:
    """Shared, thread-safe services of one platform instance."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def build(cls, config: Config) -> Platform:
        engine = make_engine(config.database_url)
        return cls(config=config, engine=engine, sessions=make_sessionmaker(engine))

    @cached_property
    def keys(self) -> KeySet:
        return load_keys(self.config)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.keys.keyring)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.config.city_dir / "catalog.yaml")

    @cached_property
    def purposes(self) -> dict[str, Purpose]:
        catalog = self.catalog
        return load_purposes(
            self.config.city_dir / "purposes.yaml",
            datasets=set(catalog.datasets),
            departments=set(catalog.departments),
        )
