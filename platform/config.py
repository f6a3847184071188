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
from typing import Any

ENVIRONMENTS = ("development", "testing", "production")
KEY_MANAGERS = ("local", "pkcs11")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
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
    rate_limits: RateLimits
    smtp_url: str  # "" sends mail to files in instance/outbox (development default)
    mail_from: str
    verify_token_hours: int
    reset_token_minutes: int
    metrics_token: str | None
    log_level: str
    # Master keys: "local" (JSON keyring, development) or "pkcs11" (an HSM).
    key_manager: str = "local"
    kek_shards: int = 256  # key-encryption keys, one per citizen-hash shard
    key_state_seconds: int = 5  # how long a process trusts its cached key states
    pkcs11_module: Path | None = None
    pkcs11_token_label: str | None = None
    pkcs11_pin: str | None = None  # from CIVIC_PKCS11_PIN or CIVIC_PKCS11_PIN_FILE
    witnesses: str = ""  # CIVIC_WITNESSES: JSON list of {"url", "key"}; see civicdata.witness
    # Where a release's shard tasks run: a Dask scheduler (tcp://host:port) if set,
    # else this many local worker processes (0: in this process).
    release_workers: int = 0
    dask_scheduler: str | None = None

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
        key_manager = reader.choice("CIVIC_KEY_MANAGER", KEY_MANAGERS, default="local")
        local_keys = key_manager == "local"
        if production and local_keys and env_map.get("CIVIC_ALLOW_LOCAL_KEYRING") != "1":
            raise ConfigError(
                "CIVIC_KEY_MANAGER=local: production keeps master keys in an HSM "
                "(CIVIC_KEY_MANAGER=pkcs11) unless CIVIC_ALLOW_LOCAL_KEYRING=1"
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
                "CIVIC_KEYRING",
                default=None if production and local_keys else str(keys_dir / "keyring.json"),
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
            key_manager=key_manager,
            kek_shards=reader.integer("CIVIC_KEK_SHARDS", default=256, low=1),
            key_state_seconds=reader.integer("CIVIC_KEY_STATE_SECONDS", default=5, low=0),
            **({} if local_keys else _pkcs11_settings(reader)),
            rate_limits=RateLimits.read(reader, relaxed=env == "testing"),
            smtp_url=reader.string("CIVIC_SMTP_URL", default=""),
            mail_from=reader.string("CIVIC_MAIL_FROM", default="civic-data@localhost"),
            verify_token_hours=reader.integer("CIVIC_VERIFY_TOKEN_HOURS", default=48, low=1),
            reset_token_minutes=reader.integer("CIVIC_RESET_TOKEN_MINUTES", default=60, low=1),
            metrics_token=reader.optional_secret("CIVIC_METRICS_TOKEN"),
            log_level=reader.choice("CIVIC_LOG_LEVEL", LOG_LEVELS, default="INFO"),
            witnesses=reader.string("CIVIC_WITNESSES", default=""),
            release_workers=reader.integer(
                "CIVIC_RELEASE_WORKERS",
                default=0 if env == "testing" else (os.cpu_count() or 1),
                low=0,
            ),
            dask_scheduler=_scheduler(reader.optional("CIVIC_DASK_SCHEDULER")),
        )
        if production and not config.public_url.startswith("https://"):
            raise ConfigError("CIVIC_PUBLIC_URL: production mode requires an https:// URL")
        return config


def _scheduler(address: str | None) -> str | None:
    """A Dask scheduler address: ``tcp://host:port`` or ``tls://host:port``."""
    if address is None:
        return None
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not host or not port.isdigit():
        raise ConfigError(
            f"CIVIC_DASK_SCHEDULER: {address!r} is not tcp://host:port or tls://host:port"
        )
    return address


def _pkcs11_settings(reader: _Reader) -> dict[str, Any]:
    """The HSM's module, token and PIN (inline or from a file), all required."""
    pin_file = reader.optional("CIVIC_PKCS11_PIN_FILE")
    if pin_file is not None:
        try:
            pin = Path(pin_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"CIVIC_PKCS11_PIN_FILE: cannot read {pin_file} ({exc})") from None
    else:
        pin = reader.string("CIVIC_PKCS11_PIN", default=None)
    return {
        "pkcs11_module": reader.path("CIVIC_PKCS11_MODULE", default=None),
        "pkcs11_token_label": reader.string("CIVIC_PKCS11_TOKEN_LABEL", default=None),
        "pkcs11_pin": pin,
    }


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Request limits (Flask-Limiter notation, e.g. ``"10 per minute; 100 per hour"``).

    ``sign_in``, ``register`` and ``reset`` count form posts per client address;
    ``token`` and ``api`` count per client address and, separately, per OAuth
    client. ``storage`` is a ``limits`` storage URI: ``memory://`` counts per
    process, ``redis://host:port/db`` across every worker of a city.
    The testing environment relaxes the defaults so that ordinary tests are
    never throttled; tests of the limits set them explicitly.
    """

    storage: str
    key_prefix: str
    sign_in: str
    register: str
    reset: str
    token: str
    api: str

    DEFAULTS = {  # noqa: RUF012 - a class constant, not a field (slots)
        "sign_in": "10 per minute; 100 per hour",
        "register": "5 per minute; 30 per hour",
        "reset": "5 per minute; 30 per hour",
        "token": "60 per minute",
        "api": "600 per minute",
    }
    RELAXED = "100000 per minute"

    @classmethod
    def read(cls, reader: _Reader, relaxed: bool) -> RateLimits:
        values = {
            name: reader.rate_limit(
                f"CIVIC_RATELIMIT_{name.upper()}", cls.RELAXED if relaxed else default
            )
            for name, default in cls.DEFAULTS.items()
        }
        return cls(
            storage=reader.string("CIVIC_RATELIMIT_STORAGE", default="memory://"),
            key_prefix=reader.string("CIVIC_RATELIMIT_PREFIX", default="civic"),
            **values,
        )


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

    def optional(self, name: str) -> str | None:
        return self._environ.get(name) or None

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

    def rate_limit(self, name: str, default: str) -> str:
        from limits import parse_many

        value = self._raw(name, default)
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"{name}={value!r} is not a rate limit such as '10 per minute; 100 per hour'"
            ) from None
        return value

    def optional_secret(self, name: str) -> str | None:
        """A secret that may be absent (the feature it guards is then off)."""
        value = self._environ.get(name) or None
        if value is not None and len(value) < 32:
            raise ConfigError(f"{name} must be a random value of at least 32 characters")
        return value

    def secret(self, name: str, production: bool) -> str:
        value = self._raw(name, None if production else _DEV_SECRET)
        if production and (value == _DEV_SECRET or len(value) < 32):
            raise ConfigError(
                f"{name} must be a random value of at least 32 characters in production"
            )
        return value
