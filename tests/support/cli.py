"""The ``CIVIC_*`` environment that makes ``civic`` commands use a test configuration."""

from __future__ import annotations

from civicdata.config import Config


def cli_env(config: Config) -> dict[str, str]:
    """For ``CliRunner().invoke(cli, [...], env=cli_env(config))``."""
    return {
        "CIVIC_ENV": config.env,
        "CIVIC_INSTANCE_PATH": str(config.instance_path),
        "CIVIC_KEYS_DIR": str(config.keys_dir),
        "CIVIC_KEYRING": str(config.keyring_path),
        "CIVIC_DATABASE_URL": config.database_url,
        "CIVIC_PUBLIC_URL": config.public_url,
        "CIVIC_ARGON2_TIME_COST": str(config.argon2_time_cost),
        "CIVIC_ARGON2_MEMORY_KIB": str(config.argon2_memory_kib),
    }
