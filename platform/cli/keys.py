"""``civic keys rotate`` and ``civic keys retire``: master-key life cycle."""

from __future__ import annotations

import click

from civicdata import telemetry
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.vault import LocalKeyring


@click.group()
def keys() -> None:
    """Master keys that wrap citizens' data keys."""


@keys.command("rotate")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100000))
@pass_civic
def rotate(civic: CivicContext, batch_size: int) -> None:
    """Add a new primary master key and re-wrap every data key with it.

    Record ciphertexts are not touched. Safe to re-run after an interruption:
    it resumes with the keys not yet on the primary.
    """
    path = civic.config.keyring_path
    keyring = LocalKeyring.load(path).with_new_primary()
    keyring.save(path)
    click.echo(f"new primary master key {keyring.primary_id}")
    telemetry.key_operation("rotate", primary=keyring.primary_id)
    _rewrap(civic, keyring, batch_size)


@keys.command("rewrap")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100000))
@pass_civic
def rewrap(civic: CivicContext, batch_size: int) -> None:
    """Finish an interrupted rotation: re-wrap data keys not on the primary key."""
    _rewrap(civic, LocalKeyring.load(civic.config.keyring_path), batch_size)


def _rewrap(civic: CivicContext, keyring: LocalKeyring, batch_size: int) -> None:
    from civicdata.vault import Vault

    vault = Vault(keyring)
    with civic.platform.sessions() as session:
        total = vault.count_not_on_primary(session)
        with click.progressbar(length=total, label="re-wrapping data keys") as bar:
            done = vault.rewrap_all(session, batch_size=batch_size, progress=bar.update)
    click.echo(f"re-wrapped {done} data key(s); old master keys may now be retired")
    telemetry.key_operation("rewrap", primary=keyring.primary_id, rewrapped=done)


@keys.command("retire")
@click.argument("key_id")
@pass_civic
def retire(civic: CivicContext, key_id: str) -> None:
    """Remove master key KEY_ID from the keyring, once no data key uses it."""
    from civicdata.vault import Vault

    path = civic.config.keyring_path
    keyring = LocalKeyring.load(path)
    with civic.platform.sessions() as session:
        still = Vault(keyring).keys_using(session, key_id)
    if still:
        raise civic_error(f"{still} data key(s) still wrapped by {key_id}; run `civic keys rewrap`")
    keyring.without(key_id).save(path)
    click.echo(f"retired master key {key_id}")
    telemetry.key_operation("retire", key=key_id)


@keys.command("list")
@pass_civic
def list_keys(civic: CivicContext) -> None:
    """List master key ids and how many data keys each wraps."""
    from civicdata.vault import Vault

    keyring = LocalKeyring.load(civic.config.keyring_path)
    vault = Vault(keyring)
    with civic.platform.sessions() as session:
        for key_id in keyring.key_ids():
            marker = " (primary)" if key_id == keyring.primary_id else ""
            click.echo(f"{key_id}{marker}: {vault.keys_using(session, key_id)} data key(s)")
