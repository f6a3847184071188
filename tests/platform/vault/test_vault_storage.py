"""Data keys in the database: batch unwrap, rotation with retirement, crypto-shredding."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from civicdata.citizens import create_citizen, erase_citizen, find_citizen
from civicdata.cli import cli
from civicdata.context import Platform
from civicdata.models import Citizen, CitizenKey, CitizenLookup
from civicdata.vault import DecryptionError, LocalKeyring, Vault
from civicdata.vault.envelope import open_sealed


@pytest.fixture
def own_keys(tmp_path, keys_dir, config):
    """A private copy of the key files, since these tests rotate the keyring."""
    import dataclasses

    mine = tmp_path / "keys"
    shutil.copytree(keys_dir, mine)
    return dataclasses.replace(config, keys_dir=mine, keyring_path=mine / "keyring.json")


def _seed(platform: Platform, n: int = 5) -> list[str]:
    ids = []
    with platform.sessions() as session:
        for i in range(n):
            citizen = create_citizen(
                session,
                platform.vault,
                platform.keys.blind_index,
                email=f"person{i}@example.org",
                name=f"Person {i}",
                references={"travel_card": f"TC-{i:05d}"},
                registered=True,
            )
            ids.append(citizen.id)
        session.commit()
    return ids


def _emails(platform: Platform, vault: Vault) -> dict[str, str]:
    with platform.sessions() as session:
        ciphers = vault.ciphers(session, [c.id for c in session.scalars(select(Citizen))])
        return {
            c.id: ciphers[c.id].open(c.email_enc, "citizens", "email", c.id).decode()
            for c in session.scalars(select(Citizen).where(Citizen.erased_at.is_(None)))
        }


def test_identity_is_sealed_and_found_through_the_blind_index(platform_) -> None:
    ids = _seed(platform_, 3)
    with platform_.sessions() as session:
        raw = session.get(Citizen, ids[1])
        assert b"person1@example.org" not in raw.email_enc
        lookups = session.scalars(select(CitizenLookup.digest)).all()
        assert all(b"person" not in d and b"TC-" not in d for d in lookups)
        index = platform_.keys.blind_index
        assert find_citizen(session, index, "email", "  PERSON1@example.org") == ids[1]
        assert find_citizen(session, index, "travel_card", "TC-00002") == ids[2]
        assert find_citizen(session, index, "email", "TC-00002") is None
    assert _emails(platform_, platform_.vault)[ids[0]] == "person0@example.org"


def test_ciphers_unwrap_each_key_once_in_bounded_queries(platform_) -> None:
    from sqlalchemy import event

    ids = _seed(platform_, 12)
    statements: list[str] = []
    event.listen(platform_.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with platform_.sessions() as session:
        ciphers = platform_.vault.ciphers(session, ids + ids)
    assert set(ciphers) == set(ids)
    assert len(statements) == 1


def test_rotation_rewraps_keys_and_retirement_keeps_every_record_readable(own_keys) -> None:
    platform = Platform.build(own_keys)
    ids = _seed(platform, 7)
    before = _emails(platform, platform.vault)
    with platform.sessions() as session:
        sealed_before = {c.id: c.email_enc for c in session.scalars(select(Citizen))}
    old_primary = platform.keys.keyring.primary_id

    env = {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(own_keys.instance_path),
        "CIVIC_KEYS_DIR": str(own_keys.keys_dir),
        "CIVIC_KEYRING": str(own_keys.keyring_path),
        "CIVIC_DATABASE_URL": own_keys.database_url,
    }
    runner = CliRunner()
    rotated = runner.invoke(cli, ["keys", "rotate", "--batch-size", "3"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "re-wrapped 7 data key(s)" in rotated.output

    retired = runner.invoke(cli, ["keys", "retire", old_primary], env=env)
    assert retired.exit_code == 0, retired.output
    ring = json.loads(own_keys.keyring_path.read_text())
    assert old_primary not in {k["id"] for k in ring["keys"]}

    fresh = LocalKeyring.load(own_keys.keyring_path)
    with platform.sessions() as session:
        assert {k.master_key_id for k in session.scalars(select(CitizenKey))} == {fresh.primary_id}
        sealed_after = {c.id: c.email_enc for c in session.scalars(select(Citizen))}
    assert sealed_after == sealed_before  # record ciphertexts untouched
    assert _emails(platform, Vault(fresh)) == before
    assert len(ids) == len(before)
    platform.engine.dispose()


def test_retiring_a_key_still_in_use_is_refused(own_keys) -> None:
    platform = Platform.build(own_keys)
    _seed(platform, 2)
    primary = platform.keys.keyring.primary_id
    LocalKeyring.load(own_keys.keyring_path).with_new_primary().save(own_keys.keyring_path)
    env = {
        "CIVIC_ENV": "testing",
        "CIVIC_KEYS_DIR": str(own_keys.keys_dir),
        "CIVIC_KEYRING": str(own_keys.keyring_path),
        "CIVIC_DATABASE_URL": own_keys.database_url,
        "CIVIC_INSTANCE_PATH": str(own_keys.instance_path),
    }
    result = CliRunner().invoke(cli, ["keys", "retire", primary], env=env)
    assert result.exit_code != 0
    assert "2 data key(s) still wrapped" in result.output
    assert primary in LocalKeyring.load(own_keys.keyring_path).key_ids()
    platform.engine.dispose()


def test_erasure_shreds_the_key_so_old_ciphertexts_are_unreadable(platform_) -> None:
    ids = _seed(platform_, 3)
    victim = ids[0]
    with platform_.sessions() as session:
        saved = session.get(Citizen, victim).email_enc
        saved_key = session.get(CitizenKey, victim)
        saved_wrapped, saved_key_id = saved_key.wrapped, saved_key.master_key_id
        assert erase_citizen(session, platform_.vault, victim)
        session.commit()
    with platform_.sessions() as session:
        tomb = session.get(Citizen, victim)
        assert tomb.erased_at is not None and tomb.email_enc is None
        assert session.get(CitizenKey, victim) is None
        assert (
            find_citizen(session, platform_.keys.blind_index, "email", "person0@example.org")
            is None
        )
        with pytest.raises(KeyError):
            platform_.vault.cipher(session, victim)
        # Every data key the platform still holds fails on the saved ciphertext.
        survivors = platform_.vault.all_ciphers(session)
    assert victim not in survivors
    from civicdata.vault import associated_data

    ad = associated_data(victim, "citizens", "email", victim)
    for cipher in survivors.values():
        with pytest.raises(DecryptionError):
            open_sealed(cipher.key, saved, ad)
    # The master keys alone cannot open it either: it was sealed with the shredded data key.
    ring = platform_.keys.keyring
    for key_id in ring.key_ids():
        with pytest.raises(DecryptionError):
            open_sealed(ring._keys[key_id].material, saved, ad)
    assert saved_key_id in ring.key_ids() and saved_wrapped  # only the DB row was destroyed
    assert _emails(platform_, platform_.vault).keys() == set(ids[1:])
