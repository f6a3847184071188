"""Typed, frozen configuration, parsed once from the environment.

Every setting comes from a ``CIVIC_*`` environment variable. Parsing fails fast
with a :class:`ConfigError` naming the variable. Development and testing get
safe defaults (files under ``instance/``); production mode demands every
secret explicitly and refuses the development defaults.

>>> cfg = Config.from_env({"CIVIC_ENV": "development", "CIVIC_INSTANCE_PATH": "/tmp/x"})
>>> cfg.database_url
'sqlite:////tmp/x/civic.db'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENVIRONMENTS = ("development", "testing", "production")
DEFAULT_CITY_DIR = Path(__file__).resolve().parent.parent / "policies" / "city"


class ConfigError(ValueError):
    """A configuration variable is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of one platform instance; immutable once parsed."""

    env: str
    instance_path: Path
    database_url: str
    secret_key: str
    keyring_path: Path
    keys_dir: Path
    city_dir: Path
    public_url: str
    session_idle_minutes: int
    session_absolute_hours: int
    login_max_failures: int
    login_window_seconds: int
    argon2_time_cost: int
    argon2_memory_kib: int
    max_upload_mb: int
    witnesses: str = ""  # CIVIC_WITNESSES: JSON list of {"url", "key"}; see civicdata.witness

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Parse the configuration from ``environ`` (default: ``os.environ``)."""
        env_map = dict(os.environ if environ is None else environ)
        reader = _Reader(env_map)
        env = reader.choice("CIVIC_ENV", ENVIRONMENTS, default="development")
        production = env == "production"
        instance = reader.path("CIVIC_INSTANCE_PATH", default=None if production else "instance")
        keys_dir = reader.path(
            "CIVIC_KEYS_DIR", default=None if production else str(instance / "keys")
        )
        config = cls(
            env=env,
            instance_path=instance,
            database_url=reader.string(
                "CIVIC_DATABASE_URL",
                default=None if production else f"sqlite:///{instance / 'civic.db'}",
            ),
            secret_key=reader.secret("CIVIC_SECRET_KEY", production=production),
            keyring_path=reader.path(
                "CIVIC_KEYRING", default=None if production else str(keys_dir / "keyring.json")
            ),
            keys_dir=keys_dir,
            city_dir=reader.path("CIVIC_CITY_DIR", default=str(DEFAULT_CITY_DIR)),
            public_url=reader.string("CIVIC_PUBLIC_URL", default="http://127.0.0.1:5000").rstrip(
                "/"
            ),
            session_idle_minutes=reader.integer("CIVIC_SESSION_IDLE_MINUTES", default=30, low=1),
            session_absolute_hours=reader.integer(
                "CIVIC_SESSION_ABSOLUTE_HOURS", default=12, low=1
            ),
            login_max_failures=reader.integer("CIVIC_LOGIN_MAX_FAILURES", default=5, low=1),
            login_window_seconds=reader.integer("CIVIC_LOGIN_WINDOW_SECONDS", default=900, low=1),
            argon2_time_cost=reader.integer(
                "CIVIC_ARGON2_TIME_COST", default=3, low=1 if env == "testing" else 2
            ),
            argon2_memory_kib=reader.integer(
                "CIVIC_ARGON2_MEMORY_KIB", default=65536, low=8 if env == "testing" else 19456
            ),
            max_upload_mb=reader.integer("CIVIC_MAX_UPLOAD_MB", default=1024, low=1),
            witnesses=reader.string("CIVIC_WITNESSES", default=""),
        )
        if production and not config.public_url.startswith("https://"):
            raise ConfigError("CIVIC_PUBLIC_URL: production mode requires an https:// URL")
        return config


_DEV_SECRET = "development-only-secret-key-not-for-production"  # noqa: S105


class _Reader:
    """Reads and checks environment variables, naming the variable on error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _raw(self, name: str, default: str | None) -> str:
        value = self._environ.get(name)
        if value is None or value == "":
            if default is None:
                raise ConfigError(f"{name} is required but not set")
            return default
        return value

    def string(self, name: str, default: str | None) -> str:
        return self._raw(name, default)

    def path(self, name: str, default: str | None) -> Path:
        return Path(self._raw(name, default)).expanduser().resolve()

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self._raw(name, default)
        if value not in allowed:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(allowed)}")
        return value

    def integer(self, name: str, default: int, low: int) -> int:
        raw = self._raw(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer") from None
        if value < low:
            raise ConfigError(f"{name}={value} must be at least {low}")
        return value

    def secret(self, name: str, production: bool) -> str:
        value = self._raw(name, None if production else _DEV_SECRET)
        if production and (value == _DEV_SECRET or len(value) < 32):
            raise ConfigError(
                f"{name} must be a random value of at least 32 characters in production"
            )
        return value
