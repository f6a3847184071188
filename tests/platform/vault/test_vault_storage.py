"""Data keys in the database: blind index, batch unwrap, crypto-shredding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civicdata.citizens import create_citizen, erase_citizen, find_citizen
from civicdata.context import Platform
from civicdata.models import Citizen, CitizenKey, CitizenLookup, KeyEncryptionKey
from civicdata.vault import DecryptionError, Vault
from civicdata.vault.envelope import open_sealed
from tests.support.keys import master_keys, shard_keys


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
    # Master and shard keys cannot open it either: it was sealed with the shredded data key.
    for key in master_keys(platform_) + shard_keys(platform_):
        with pytest.raises(DecryptionError):
            open_sealed(key, saved, ad)
    with platform_.sessions() as session:  # only the citizen's row was destroyed
        assert session.get(KeyEncryptionKey, saved_key_id) is not None and saved_wrapped
    assert _emails(platform_, platform_.vault).keys() == set(ids[1:])
