"""Master keys in SoftHSM2 through PKCS#11: non-extractable, wrap/unwrap, release, erasure."""

from __future__ import annotations

import pkcs11
import pytest
from pkcs11 import Attribute, KeyType, ObjectClass
from sqlalchemy import select

from civicdata.citizens import create_citizen, erase_citizen
from civicdata.consents.issuers import ensure_published, receipt_issuer
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.demo import seed_demo_city
from civicdata.models import Citizen, KeyEncryptionKey
from civicdata.vault import DecryptionError, KeyringError, KeyUnavailableError, associated_data
from civicdata.vault.envelope import open_sealed
from civicdata.vault.kek import kek_ad
from civicdata.vault.pkcs11 import Pkcs11KeyManager
from consent.bulk import give_many
from tests.platform.releases.city import count_query
from tests.support.oauth import service_token
from tests.support.softhsm import SoftHsmToken


@pytest.fixture
def manager(hsm_token: SoftHsmToken) -> Pkcs11KeyManager:
    return Pkcs11KeyManager(hsm_token.module, hsm_token.label, hsm_token.pin)


def test_master_keys_cannot_leave_the_token(manager, hsm_token) -> None:
    key_id = manager.create_key()
    lib = pkcs11.lib(str(hsm_token.module))
    with lib.get_token(token_label=hsm_token.label).open() as session:  # the manager logged in
        key = session.get_key(
            object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=key_id
        )
        assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]
        assert key.key_length == 256
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            key[Attribute.VALUE]
        wrapping = session.generate_key(KeyType.AES, 256, template={Attribute.TOKEN: False})
        with pytest.raises(pkcs11.exceptions.KeyUnextractable):
            wrapping.wrap_key(key)


def test_wrap_and_unwrap_round_trip_bound_to_their_associated_data(manager) -> None:
    key_id = manager.create_key()
    other = manager.create_key()
    wrapped = manager.wrap(key_id, b"k" * 32, b"shard 7")
    assert b"k" * 32 not in wrapped
    assert manager.unwrap(key_id, wrapped, b"shard 7") == b"k" * 32
    assert manager.wrap(key_id, b"k" * 32, b"shard 7") != wrapped  # fresh nonce
    with pytest.raises(KeyringError):
        manager.unwrap(key_id, wrapped, b"shard 8")
    with pytest.raises(KeyringError):
        manager.unwrap(other, wrapped, b"shard 7")
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(KeyringError):
        manager.unwrap(key_id, tampered, b"shard 7")
    manager.destroy(other)
    assert not manager.has_key(other) and other not in manager.key_ids()
    with pytest.raises(KeyUnavailableError, match="not in HSM token"):
        manager.unwrap(other, wrapped, b"shard 7")


def test_a_release_over_the_demo_city_with_the_hsm(hsm_platform: Platform) -> None:
    from civicdata.app import create_app

    city = seed_demo_city(hsm_platform, citizens=60, seed=3)
    purpose = hsm_platform.purposes["transport-planning"]
    with hsm_platform.sessions() as session:
        ensure_published(hsm_platform, session, [purpose])
        give_many(
            session,
            city.citizen_ids,
            purpose,
            language="en",
            method="portal",
            now=utcnow(),
            issuer=receipt_issuer(hsm_platform, purpose),
        )
        session.commit()
        masters = set(session.scalars(select(KeyEncryptionKey.master_key_id)))
    assert masters == {hsm_platform.vault.states.primary()}
    assert hsm_platform.vault.states.primary() in hsm_platform.key_manager.key_ids()
    client = create_app(platform=hsm_platform).test_client()
    token = service_token(
        client,
        hsm_platform,
        role="department",
        scopes=["aggregates:request"],
        department="transport",
    )
    made = client.post(
        "/api/v1/releases", json=count_query("0.5"), headers={"Authorization": f"Bearer {token}"}
    )
    assert made.status_code == 201, made.text
    assert made.json["release"]["cells"]


def test_erasure_with_the_hsm_shreds_exactly_one_citizen(hsm_platform: Platform) -> None:
    vault, index = hsm_platform.vault, hsm_platform.keys.blind_index
    with hsm_platform.sessions() as session:
        ids = [
            create_citizen(session, vault, index, email=f"p{i}@example.org", registered=True).id
            for i in range(3)
        ]
        session.commit()
        victim = ids[0]
        saved = session.get(Citizen, victim).email_enc
        assert erase_citizen(session, vault, victim)
        session.commit()
    with hsm_platform.sessions() as session:
        survivors = vault.all_ciphers(session)
        shard_rows = session.execute(
            select(KeyEncryptionKey.id, KeyEncryptionKey.master_key_id, KeyEncryptionKey.wrapped)
        ).all()
    assert set(survivors) == set(ids[1:])
    shard_keys = [hsm_platform.key_manager.unwrap(m, w, kek_ad(i)) for i, m, w in shard_rows]
    ad = associated_data(victim, "citizens", "email", victim)
    for key in [c.key for c in survivors.values()] + shard_keys:
        with pytest.raises(DecryptionError):
            open_sealed(key, saved, ad)
    with hsm_platform.sessions() as session:
        for cid in ids[1:]:
            citizen = session.get(Citizen, cid)
            assert survivors[cid].open(citizen.email_enc, "citizens", "email", cid).startswith(b"p")
