"""Notice versions: a changed text publishes a new version, an unchanged one nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from consent.notices import current_notice, current_notices, get_notice, sync_notices
from consent.purposes import Purpose
from consent.tables import notice_versions
from tests.consent.helpers import T0, reworded


def test_first_sync_publishes_version_one_of_every_notice(
    engine: Engine, purposes: dict[str, Purpose]
) -> None:
    with engine.begin() as conn:
        created = sync_notices(conn, purposes, T0)
        assert {(n.purpose_id, n.version) for n in created} == {(p, 1) for p in purposes}
        transport = get_notice(conn, "transport-planning", 1)
    assert transport is not None
    assert transport.notice_hash == purposes["transport-planning"].notice_hash
    assert transport.published_at == T0
    assert transport.texts["ca"]["title"] == purposes["transport-planning"].notice["ca"].title


def test_unchanged_notices_publish_nothing(engine: Engine, purposes: dict[str, Purpose]) -> None:
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0)
        assert sync_notices(conn, purposes, T0 + timedelta(days=1)) == []
        assert conn.scalar(select(func.count()).select_from(notice_versions)) == len(purposes)


@pytest.mark.parametrize("material", [False, True])
def test_changed_text_publishes_next_version_with_the_material_flag(
    engine: Engine, purposes: dict[str, Purpose], material: bool
) -> None:
    later = T0 + timedelta(days=30)
    changed = reworded(purposes["transport-planning"], material=material)
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0)
        created = sync_notices(conn, {**purposes, changed.id: changed}, later)
        assert [(n.purpose_id, n.version, n.material) for n in created] == [
            ("transport-planning", 2, material)
        ]
        before = current_notice(conn, changed.id, later - timedelta(microseconds=1))
        after = current_notice(conn, changed.id, later)
        everything = current_notices(conn, later)
    assert before is not None and before.version == 1
    assert after is not None and after.version == 2
    assert after.notice_hash == changed.notice_hash
    assert everything[changed.id].version == 2
    assert everything["energy-efficiency"].version == 1


def test_reverting_a_text_is_a_new_version_too(
    engine: Engine, purposes: dict[str, Purpose]
) -> None:
    original = purposes["transport-planning"]
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0)
        sync_notices(conn, {original.id: reworded(original, material=False)}, T0 + timedelta(1))
        created = sync_notices(conn, {original.id: original}, T0 + timedelta(2))
    assert [(n.version, n.notice_hash) for n in created] == [(3, original.notice_hash)]


def test_naive_datetimes_are_refused(engine: Engine, purposes: dict[str, Purpose]) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="naive datetime"):
        sync_notices(conn, purposes, datetime(2025, 1, 1))
