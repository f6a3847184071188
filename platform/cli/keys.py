"""``civic keys``: the master-key life cycle (add, promote, rewrap, retire, status).

Rotation across several nodes: ``add`` the new key to every node's key source
(it is recorded as pending), ``promote`` it once every node has it, ``rewrap``
the shard keys under it, then ``retire`` the old key. ``rotate`` runs the first
three steps at once, for a single node or a shared HSM.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from civicdata import telemetry
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.vault import KeyringError
from civicdata.vault.lifecycle import KeyStateError, add_key, promote, retire, status

BATCH = click.option(
    "--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100000)
)


@contextmanager
def _step(name: str) -> Iterator[None]:
    """Name the step (and the key, in the message) of any key error."""
    try:
        yield
    except (KeyStateError, KeyringError) as exc:
        raise civic_error(f"keys {name}: {exc}") from exc


@click.group()
def keys() -> None:
    """Master keys that wrap the shard keys, which wrap citizens' data keys."""


@keys.command("add")
@pass_civic
def add(civic: CivicContext) -> None:
    """Generate a master key in this node's key source and record it as pending."""
    _add(civic)


def _add(civic: CivicContext) -> str:
    with _step("add"), civic.platform.sessions() as session:
        key_id = add_key(session, civic.platform.vault)
    click.echo(f"added master key {key_id} (pending)")
    return key_id


@keys.command("promote")
@click.argument("key_id")
@pass_civic
def promote_command(civic: CivicContext, key_id: str) -> None:
    """Make KEY_ID the primary master key; the old primary becomes decrypt-only."""
    _promote(civic, key_id)


def _promote(civic: CivicContext, key_id: str) -> None:
    with _step("promote"), civic.platform.sessions() as session:
        old = promote(session, civic.platform.vault, key_id)
    demoted = f"; {old} is now decrypt-only" if old else ""
    click.echo(f"master key {key_id} is primary{demoted}")


@keys.command("rewrap")
@BATCH
@pass_civic
def rewrap(civic: CivicContext, batch_size: int) -> None:
    """Re-wrap every key not on the primary master key (resumable)."""
    _rewrap(civic, batch_size)


def _rewrap(civic: CivicContext, batch_size: int) -> None:
    vault = civic.platform.vault
    with _step("rewrap"), civic.platform.sessions() as session:
        total = vault.count_not_on_primary(session)
        with click.progressbar(length=total, label="re-wrapping keys") as bar:
            done = vault.rewrap_all(session, batch_size=batch_size, progress=bar.update)
    click.echo(f"re-wrapped {done} key(s); decrypt-only master keys may now be retired")


@keys.command("rotate")
@BATCH
@pass_civic
def rotate(civic: CivicContext, batch_size: int) -> None:
    """Add a master key, promote it and re-wrap under it (one node or a shared HSM)."""
    key_id = _add(civic)
    _promote(civic, key_id)
    _rewrap(civic, batch_size)


@keys.command("retire")
@click.argument("key_id")
@pass_civic
def retire_command(civic: CivicContext, key_id: str) -> None:
    """Retire KEY_ID once nothing is wrapped by it, and remove it from this key source."""
    with _step("retire"), civic.platform.sessions() as session:
        retire(session, civic.platform.vault, key_id)
    click.echo(f"retired master key {key_id}")
    telemetry.key_operation("retire", key=key_id)


@keys.command("status")
@pass_civic
def status_command(civic: CivicContext) -> None:
    """Each master key's state, whether this node holds it, and what it wraps."""
    with _step("status"), civic.platform.sessions() as session:
        rows = status(session, civic.platform.vault)
    for row in rows:
        here = "here" if row.here else "NOT in this node's key source"
        click.echo(
            f"{row.id}  {row.state:<12}  {row.data_keys} data key(s) via "
            f"{row.shard_keys} shard key(s)  added {row.added_at:%Y-%m-%d %H:%M}  {here}"
        )
