"""Shared plumbing of the CLI commands: the lazily built platform and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from civicdata.config import Config
from civicdata.context import Platform
from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError


def civic_error(message: str) -> click.ClickException:
    return click.ClickException(message)


@dataclass
class CivicContext:
    config: Config
    _platform: Platform | None = field(default=None, init=False)

    @property
    def platform(self) -> Platform:
        if self._platform is None:
            self._platform = Platform.build(self.config)
        return self._platform


pass_civic = click.make_pass_decorator(CivicContext)


def published_history(civic: CivicContext, keys_file: Path | None) -> KeyHistory:
    """The key history from ``keys_file`` (offline), else the instance's database."""
    try:
        if keys_file is not None:
            return KeyHistory.load(keys_file)
        return civic.platform.signing.history(refresh=True)
    except SigningKeyError as exc:
        raise civic_error(f"key history: {exc}") from None
