"""The release of the benchmark query with master keys in an HSM, against the local keyring.

Both runs use the same city and the same query through ``POST /api/v1/releases``.
The HSM is a SoftHSM2 token made for the run; the shard keys are re-wrapped
under a master key generated in it (their material, and so every data key,
stays the same) and put back under the local key afterwards. Each release
starts with no shard key unwrapped (a worker's first release, the worst
case): it asks the key manager for one unwrap per shard; later releases use
the cached shard keys and do not reach the key manager at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update

from benchmarks.instance import BenchInstance
from benchmarks.release import PURPOSE, QUERY, REPEAT, _ensure_consents, _token
from benchmarks.report import Measurement, median_time
from civicdata.app import create_app
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import KeyEncryptionKey, MasterKeyState
from civicdata.vault.kek import kek_ad
from civicdata.vault.pkcs11 import Pkcs11KeyManager
from civicdata.vault.states import DECRYPT_ONLY, PRIMARY
from tests.support.softhsm import create_token, softhsm_conf

LOCAL = "release, master keys in the local keyring (cold shard keys)"
# The release benchmark's query with less epsilon, so both runs fit the budget after it.
CHEAP = {**QUERY, "epsilon": "0.1"}


@contextmanager
def _under_hsm_key(platform: Platform, hsm: Pkcs11KeyManager) -> Iterator[str]:
    """Shard keys re-wrapped under a new HSM master key (primary) for the duration."""
    local = platform.key_manager
    hsm_key = hsm.create_key()
    with platform.sessions() as session:
        saved = session.execute(
            select(KeyEncryptionKey.id, KeyEncryptionKey.master_key_id, KeyEncryptionKey.wrapped)
        ).all()
        for key_id, master_key_id, wrapped in saved:
            key = local.unwrap(master_key_id, wrapped, kek_ad(key_id))
            session.execute(
                update(KeyEncryptionKey)
                .where(KeyEncryptionKey.id == key_id)
                .values(master_key_id=hsm_key, wrapped=hsm.wrap(hsm_key, key, kek_ad(key_id)))
            )
        session.execute(update(MasterKeyState).values(state=DECRYPT_ONLY))
        session.add(MasterKeyState(id=hsm_key, state=PRIMARY, promoted_at=utcnow()))
        session.commit()
    try:
        yield hsm_key
    finally:
        with platform.sessions() as session:
            for key_id, master_key_id, wrapped in saved:
                session.execute(
                    update(KeyEncryptionKey)
                    .where(KeyEncryptionKey.id == key_id)
                    .values(master_key_id=master_key_id, wrapped=wrapped)
                )
            session.execute(update(MasterKeyState).values(state=PRIMARY))
            session.execute(MasterKeyState.__table__.delete().where(MasterKeyState.id == hsm_key))
            session.commit()


def _cold_release(platform: Platform, client: FlaskClient, token: str) -> dict[str, Any]:
    platform.vault.shards.forget()
    response = client.post(
        "/api/v1/releases", json=CHEAP, headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"release failed: {response.status_code} {response.text}")
    return response.json  # type: ignore[return-value]


def run(instance: BenchInstance) -> list[Measurement]:
    platform = instance.platform
    note = _ensure_consents(platform, instance.city.citizen_ids)
    client = create_app(platform=platform).test_client()
    token = _token(platform, client)
    local_s, _ = median_time(REPEAT, _cold_release, platform, client, token)
    records = len(instance.city.citizen_ids)

    softhsm_conf(platform.config.instance_path / "softhsm")
    hsm_token = create_token("civic-bench")
    hsm_config = dataclasses.replace(platform.config, **hsm_token.settings())  # type: ignore[arg-type]
    hsm = Pkcs11KeyManager.from_config(hsm_config)
    with _under_hsm_key(platform, hsm) as hsm_key:
        on_hsm = Platform.build(hsm_config)
        try:
            if on_hsm.vault.states.primary() != hsm_key:
                raise RuntimeError(f"the HSM key {hsm_key} did not become primary")
            hsm_client = create_app(platform=on_hsm).test_client()
            hsm_s, _ = median_time(REPEAT, _cold_release, on_hsm, hsm_client, token)
        finally:
            on_hsm.engine.dispose()
    shards = platform.config.kek_shards
    return [
        Measurement(LOCAL, records, local_s, note=f"{note}; {shards} shard keys, {PURPOSE}"),
        Measurement(
            "release, master keys in SoftHSM2 through PKCS#11 (cold shard keys)",
            records,
            hsm_s,
            baselines=(LOCAL,),
            note="target: at most 1.2x",
        ),
    ]
