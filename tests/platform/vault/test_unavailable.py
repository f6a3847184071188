"""A master key missing on this node: requests get 503 with Retry-After, never a 500."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from civicdata.app import create_app
from civicdata.context import Platform
from civicdata.models import AuditEvent
from civicdata.vault import LocalKeyring
from tests.support.oauth import new_citizen, sign_in

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
