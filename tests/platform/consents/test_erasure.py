"""Erasure: nothing decryptable, nothing counting, no way back in, a signed receipt."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from civicdata.consents.changes import give_consent
from civicdata.consents.erasure import ErasureError, erase_me
from civicdata.consents.recording import Collector
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.accounts import find_account
from civicdata.identity.models import Account
from civicdata.models import AuditEvent, Citizen, CitizenKey, RecordBlock
from civicdata.records import write_blocks
from civicdata.records.store import FIELD
from civicdata.vault import associated_data
from civicdata.vault.envelope import DecryptionError, open_sealed
from consent.eligibility import is_active
from consent.receipts import verify_receipt
from consent.status import states
from tests.platform.consents.conftest import EMAIL
from tests.support.oauth import new_citizen

TRIP = {"mode": "bus", "district": "Harbour", "month": "2025-05", "duration_min": 12.0}


def _with_records(platform: Platform, citizen_id: str) -> None:
    with platform.sessions() as session:
        cipher = platform.vault.cipher(session, citizen_id)
        spec = platform.catalog.datasets["trips"]
        write_blocks(session, {citizen_id: cipher}, spec, {citizen_id: [TRIP, TRIP]})
        session.commit()


def _every_key_held(platform: Platform) -> list[bytes]:
    """Master keys, the blind-index key and every data key still stored, unwrapped."""
    config = platform.config
    keyring = json.loads(config.keyring_path.read_text())
    keys = [base64.b64decode(k["key"]) for k in keyring["keys"]]
    keys.append(bytes.fromhex((config.keys_dir / "blind-index.key").read_text().strip()))
    with platform.sessions() as session:
        keys += [cipher.key for cipher in platform.vault.all_ciphers(session).values()]
    return keys


def _opens(blob: bytes, ad: bytes, keys: list[bytes]) -> bool:
    for key in keys:
        try:
            open_sealed(key[:32], blob, ad)
        except DecryptionError:
            continue
        return True
    return False


def test_after_erasure_no_key_the_platform_holds_decrypts_the_ciphertexts(
    platform_: Platform, citizen: Account
) -> None:
    cid = str(citizen.citizen_id)
    new_citizen(platform_, "someone.else@example.org")  # another data key stays stored
    _with_records(platform_, cid)
    with platform_.sessions() as session:
        blocks = session.execute(
            select(RecordBlock.id, RecordBlock.dataset, RecordBlock.ciphertext).where(
                RecordBlock.citizen_id == cid
            )
        ).all()
        person = session.get(Citizen, cid)
        assert person is not None and person.email_enc is not None
        sealed = [
            (ct, associated_data(cid, dataset, FIELD, block_id)) for block_id, dataset, ct in blocks
        ]
        sealed.append((person.email_enc, associated_data(cid, "citizens", "email", cid)))
    assert blocks and all(_opens(ct, ad, _every_key_held(platform_)) for ct, ad in sealed)

    with platform_.sessions() as session:
        account = session.get(Account, citizen.id)
        assert account is not None
        document = erase_me(platform_, session, account, confirmed=True, language="en")
        session.commit()
        assert session.get(CitizenKey, cid) is None
        assert session.scalars(select(RecordBlock).where(RecordBlock.citizen_id == cid)).all() == []
    held = _every_key_held(platform_)
    assert not any(_opens(ct, ad, held) for ct, ad in sealed)
    receipt = verify_receipt(document, platform_.signing.current("receipts").ed25519.public_key())
    assert receipt["piiPrincipalId"] == cid and receipt["erased"]["recordBlocks"] == {"trips": 1}


def test_erasure_withdraws_consents_closes_the_account_and_is_audited(
    platform_: Platform, citizen: Account
) -> None:
    cid = str(citizen.citizen_id)
    with platform_.sessions() as session:
        for purpose in ("transport-planning", "water-management"):
            give_consent(
                platform_,
                session,
                cid,
                purpose,
                language="en",
                collector=Collector(method="portal", actor=cid),
            )
        session.commit()
        account = session.get(Account, citizen.id)
        assert account is not None
        with pytest.raises(ErasureError) as unconfirmed:
            erase_me(platform_, session, account, confirmed=False, language="en")
        document = erase_me(platform_, session, account, confirmed=True, language="en")
        session.commit()
        found = states(session, cid, platform_.purposes, utcnow())
        erased = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "citizen.erase")
        ).one()
        assert find_account(session, platform_.keys.blind_index, EMAIL) is None
        assert session.get(Account, citizen.id).disabled_at is not None  # type: ignore[union-attr]
        assert not is_active(session, cid, "transport-planning", utcnow())
        with pytest.raises(ErasureError):
            erase_me(platform_, session, account, confirmed=True, language="en")
    assert unconfirmed.value.field == "confirm"
    assert found["transport-planning"].state == found["water-management"].state == "withdrawn"
    assert [w["purpose"] for w in document["receipt"]["consentsWithdrawn"]] == [
        "transport-planning",
        "water-management",
    ]
    assert erased.subject == cid and "Rosa" not in erased.entry and EMAIL not in erased.entry
