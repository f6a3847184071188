"""Shared plumbing of the CLI commands: the lazily built platform and errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from civicdata.config import Config
from civicdata.context import Platform


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
