"""Master-key rotation: states in the database, add/promote/rewrap/retire, stale workers."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from civicdata.citizens import create_citizen
from civicdata.cli import cli
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.models import Citizen, CitizenKey, KeyEncryptionKey, MasterKeyState
from civicdata.vault import KeyUnavailableError, LocalKeyring, Vault
from civicdata.vault.kek import kek_id
from civicdata.vault.lifecycle import KeyStateError, add_key, promote, retire, status
from tests.support.cli import cli_env


@pytest.fixture
def own_config(tmp_path, keys_dir, config) -> Config:
    """A private copy of the key files, since these tests rotate the keyring."""
    mine = tmp_path / "own-keys"
    shutil.copytree(keys_dir, mine)
    return dataclasses.replace(config, keys_dir=mine, keyring_path=mine / "keyring.json")


@pytest.fixture
def node(own_config) -> Iterator[Platform]:
    built = Platform.build(own_config)
    yield built
    built.engine.dispose()


def _seed(platform: Platform, n: int) -> list[str]:
    with platform.sessions() as session:
        ids = [
            create_citizen(
                session,
                platform.vault,
                platform.keys.blind_index,
                email=f"person{i}@example.org",
                registered=True,
            ).id
            for i in range(n)
        ]
        session.commit()
    return ids


def _emails(platform: Platform) -> dict[str, str]:
    with platform.sessions() as session:
        citizens = session.scalars(select(Citizen)).all()
        ciphers = platform.vault.ciphers(session, [c.id for c in citizens])
        return {
            c.id: ciphers[c.id].open(c.email_enc, "citizens", "email", c.id).decode()
            for c in citizens
        }


def _masters(platform: Platform) -> set[str]:
    with platform.sessions() as session:
        return set(session.scalars(select(KeyEncryptionKey.master_key_id)))


def test_a_new_instance_records_its_key_as_primary_with_every_shard_key(node) -> None:
    ids = _seed(node, 4)
    primary = LocalKeyring.load(node.config.keyring_path).preferred_primary()
    with node.sessions() as session:
        [row] = status(session, node.vault)
        wrapped_by = set(session.scalars(select(CitizenKey.master_key_id)))
    assert (row.id, row.state, row.here) == (primary, "primary", True)
    assert (row.shard_keys, row.data_keys) == (node.config.kek_shards, len(ids))
    # Data keys are wrapped by shard keys, never directly by a master key.
    assert wrapped_by and all(key_id.startswith("kek-") for key_id in wrapped_by)


def test_rotation_through_the_cli_keeps_every_record_readable(node) -> None:
    _seed(node, 7)
    before = _emails(node)
    with node.sessions() as session:
        data_keys_before = dict(
            session.execute(select(CitizenKey.citizen_id, CitizenKey.wrapped)).all()
        )
    old = node.vault.states.primary()
    env, runner = cli_env(node.config), CliRunner()

    added = runner.invoke(cli, ["keys", "add"], env=env)
    assert added.exit_code == 0, added.output
    new = added.output.split()[3]
    assert runner.invoke(cli, ["keys", "promote", new], env=env).exit_code == 0
    refused = runner.invoke(cli, ["keys", "retire", old], env=env)
    assert refused.exit_code != 0
    assert f"keys retire: 7 data key(s) and {node.config.kek_shards} shard key(s)" in (
        refused.output
    )
    rewrapped = runner.invoke(cli, ["keys", "rewrap", "--batch-size", "50"], env=env)
    assert rewrapped.exit_code == 0, rewrapped.output
    assert f"re-wrapped {node.config.kek_shards} key(s)" in rewrapped.output
    retired = runner.invoke(cli, ["keys", "retire", old], env=env)
    assert retired.exit_code == 0, retired.output

    shown = runner.invoke(cli, ["keys", "status"], env=env).output
    assert f"{old}  retired" in shown and f"{new}  primary" in shown
    assert old not in LocalKeyring.load(node.config.keyring_path).key_ids()
    assert _masters(node) == {new}
    with node.sessions() as session:  # only shard keys were re-wrapped
        assert dict(session.execute(select(CitizenKey.citizen_id, CitizenKey.wrapped)).all()) == (
            data_keys_before
        )
    fresh = Platform.build(node.config)  # a new process, with only the new key
    assert _emails(fresh) == before
    fresh.engine.dispose()


def test_each_step_refuses_what_would_break_a_worker(node) -> None:
    _seed(node, 2)
    old = node.vault.states.primary()
    with node.sessions() as session:
        with pytest.raises(KeyStateError, match="is primary"):
            retire(session, node.vault, old)
        with pytest.raises(KeyStateError, match="not recorded"):
            promote(session, node.vault, "mk-unknown")
    other = LocalKeyring.generate()  # a key another node holds, not this one
    with node.sessions() as session:
        session.add(MasterKeyState(id=other.preferred_primary(), state="pending"))
        session.commit()
        with pytest.raises(KeyUnavailableError, match="not in this node's key source"):
            promote(session, node.vault, other.preferred_primary())
        new = add_key(session, node.vault)
        assert promote(session, node.vault, new) == old
        with pytest.raises(KeyStateError, match="still wrapped"):
            retire(session, node.vault, old)
        states = dict(session.execute(select(MasterKeyState.id, MasterKeyState.state)).all())
    assert states[old] == "decrypt-only" and states[new] == "primary"
    assert old in LocalKeyring.load(node.config.keyring_path).key_ids()


def test_a_worker_with_stale_states_never_wraps_under_a_demoted_key(node) -> None:
    _seed(node, 1)
    old = node.vault.states.primary()
    stale = Vault(  # started before the rotation, trusting its cached states for an hour
        LocalKeyring.load(node.config.keyring_path),
        node.sessions,
        node.keys.blind_index,
        shards=node.config.kek_shards,
        state_seconds=3600,
    )
    assert stale.states.primary() == old
    with node.sessions() as session:
        new = add_key(session, node.vault)
        promote(session, node.vault, new)
    assert stale.states.primary() == old  # still cached...
    stale.shards.ensure([kek_id(90001)])  # ...but the wrap is confirmed in its transaction
    with node.sessions() as session:
        assert session.get(KeyEncryptionKey, kek_id(90001)).master_key_id == new

    blind = Vault(  # a worker whose key source lacks the new primary
        LocalKeyring.from_json(LocalKeyring.load(node.config.keyring_path).to_json(), "copy"),
        node.sessions,
        node.keys.blind_index,
    )
    with node.sessions() as session:
        newest = add_key(session, node.vault)
        promote(session, node.vault, newest)
    with pytest.raises(KeyUnavailableError, match=f"primary master key '{newest}' is not in"):
        blind.shards.ensure([kek_id(90002)])
    with node.sessions() as session:
        assert session.get(KeyEncryptionKey, kek_id(90002)) is None


def test_a_wrap_in_flight_holds_promotion_until_it_commits(node) -> None:
    """The wrap's transaction locks its key's state row; promote waits, rewrap then sees it."""
    old = node.vault.states.primary()
    with node.sessions() as session:
        new = add_key(session, node.vault)
    in_flight = node.sessions()
    in_flight.add(KeyEncryptionKey(id=kek_id(90003), master_key_id=old, wrapped=b"x" * 60))
    in_flight.flush()
    node.vault.states.confirm_primary(in_flight, old)
    done = threading.Event()

    def promote_new() -> None:
        with node.sessions() as session:
            promote(session, node.vault, new)
        done.set()

    worker = threading.Thread(target=promote_new)
    worker.start()
    assert not done.wait(1.0), "promote must wait for the wrap in flight"
    in_flight.commit()
    in_flight.close()
    worker.join(30)
    assert done.is_set()
    with node.sessions() as session:
        assert session.get(KeyEncryptionKey, kek_id(90003)).master_key_id == old
        # The wrap that was in flight is counted: retire refuses until a re-wrap.
        with pytest.raises(KeyStateError, match=f"{node.config.kek_shards + 1} shard key"):
            retire(session, node.vault, old)


def test_a_shard_key_under_a_key_missing_here_does_not_block_the_others(node) -> None:
    ids = _seed(node, 2)
    elsewhere = LocalKeyring.generate()  # another node's key, recorded but not held here
    away = elsewhere.preferred_primary()
    with node.sessions() as session:
        session.add(MasterKeyState(id=away, state="decrypt-only"))
        session.add(
            KeyEncryptionKey(
                id=kek_id(90004), master_key_id=away, wrapped=elsewhere.wrap(away, b"k" * 32, b"")
            )
        )
        session.commit()
    fresh = Vault(node.key_manager, node.sessions, node.keys.blind_index)  # nothing cached
    with node.sessions() as session:
        assert set(fresh.ciphers(session, ids)) == set(ids)
    with pytest.raises(KeyUnavailableError, match=away):
        fresh.shards.aead(kek_id(90004))
