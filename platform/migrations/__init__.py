"""Alembic migrations; :func:`upgrade` brings a database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from civicdata.vault.blind_index import BlindIndex

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", *, blind_index: BlindIndex | None = None) -> None:
    """Apply every migration up to ``revision``.

    ``blind_index`` is the platform's keyed hash, which revisions that derive
    keyed values from stored ids need for existing rows (record shards).
    """
    cfg = alembic_config(url)
    cfg.attributes["blind_index"] = blind_index
    command.upgrade(cfg, revision)
