"""A master key missing on this node: 503 with Retry-After, never a 500; older key layouts."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from civicdata.app import create_app
from civicdata.citizens import create_citizen
from civicdata.context import Platform
from civicdata.models import AuditEvent, CitizenKey
from civicdata.vault import LocalKeyring, associated_data
from tests.platform.releases.city import TinyCity, count_query
from tests.support.oauth import new_citizen, service_token, sign_in

EMAIL = "ines@example.org"


def test_a_node_without_the_master_key_answers_503_and_changes_nothing(
    platform_: Platform, tmp_path
) -> None:
    new_citizen(platform_, EMAIL, name="Inés")  # shard keys wrapped by this node's key
    elsewhere = tmp_path / "other-keyring.json"
    LocalKeyring.generate().save(elsewhere)  # a node configured with another key only
    other = Platform.build(dataclasses.replace(platform_.config, keyring_path=elsewhere))
    client = create_app(platform=other).test_client()
    assert sign_in(client, EMAIL).status_code == 302
    with other.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))

    download = client.get("/my/data.json")

    assert download.status_code == 503
    assert download.headers["Retry-After"].isdigit()
    assert "temporarily unavailable" in download.text
    with other.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    other.engine.dispose()


def test_a_release_on_a_node_without_the_master_key_is_503_and_not_charged(
    platform_: Platform, tmp_path
) -> None:
    TinyCity(platform_).populated(3)
    elsewhere = tmp_path / "other-keyring.json"
    LocalKeyring.generate().save(elsewhere)
    other = Platform.build(dataclasses.replace(platform_.config, keyring_path=elsewhere))
    client = create_app(platform=other).test_client()
    token = service_token(
        client, other, role="department", scopes=["aggregates:request"], department="transport"
    )
    headers = {"Authorization": f"Bearer {token}"}

    made = client.post("/api/v1/releases", json=count_query("0.5"), headers=headers)

    assert made.status_code == 503, made.text
    assert made.headers["Retry-After"].isdigit()
    assert made.mimetype == "application/problem+json" and made.json["charged"] is False
    budgets = client.get("/api/v1/budgets", headers=headers).json
    assert budgets["grants"][0]["spent"]["epsilon"] == "0"  # the reservation was given back
    other.engine.dispose()


def test_data_keys_wrapped_by_a_master_key_move_under_their_shard_key(
    platform_: Platform,
) -> None:
    """Keys from before the shard-key level still unwrap, and a re-wrap moves them."""
    vault = platform_.vault
    with platform_.sessions() as session:
        citizen = create_citizen(
            session, vault, platform_.keys.blind_index, email="old@example.org", registered=True
        )
        session.commit()
        row = session.get(CitizenKey, citizen.id)
        data_key = vault.cipher(session, citizen.id).key
        primary = vault.states.primary()
        ad = associated_data(citizen.id, "citizen_keys", "data_key", citizen.id)
        row.master_key_id, row.wrapped = primary, platform_.key_manager.wrap(primary, data_key, ad)
        session.commit()
        assert vault.keys_using(session, primary) == 1
        assert vault.cipher(session, citizen.id).key == data_key
        assert vault.count_not_on_primary(session) == 1
        assert vault.rewrap_all(session, batch_size=1) == 1
        moved = session.get(CitizenKey, citizen.id)
        session.refresh(moved)
        assert moved.master_key_id == vault.shards.shard_of(citizen.id)
        assert vault.cipher(session, citizen.id).key == data_key
        assert vault.count_not_on_primary(session) == 0
