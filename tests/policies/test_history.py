"""Policy-set history on every backend: which set was in force at any moment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update

from civicdata.db import make_engine
from policies.history import HistoryError, policy_set_at, record_policy_set
from policies.loader import DEMO_POLICIES, load_policy_set
from policies.tables import policy_sets
from tests.policies.helpers import transport_policy

T0 = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_history_round_trip(engine, write_dir, catalog, purposes) -> None:
    demo = load_policy_set(DEMO_POLICIES, catalog, purposes)
    smaller = load_policy_set(write_dir({"t.yaml": [transport_policy()]}), catalog, purposes)
    with engine.begin() as conn:
        assert record_policy_set(conn, demo, T0)
        assert not record_policy_set(conn, demo, T0 + timedelta(hours=1))  # same set: no new row
        assert record_policy_set(conn, smaller, T0 + timedelta(days=1))
    with engine.connect() as conn:
        assert policy_set_at(conn, T0 - timedelta(microseconds=1)) is None
        first = policy_set_at(conn, T0)
        just_before = policy_set_at(conn, T0 + timedelta(days=1) - timedelta(microseconds=1))
        second = policy_set_at(conn, T0 + timedelta(days=30))
        rows = conn.execute(policy_sets.select()).all()
    assert len(rows) == 2
    assert first.policy_set == demo and first.content_hash == demo.content_hash
    assert first.loaded_at == T0 and first.loaded_at.tzinfo is not None
    assert just_before.content_hash == demo.content_hash
    assert second.policy_set == smaller and second.loaded_at == T0 + timedelta(days=1)


def test_going_back_to_an_earlier_set_is_recorded_again(engine, write_dir, catalog, purposes):
    demo = load_policy_set(DEMO_POLICIES, catalog, purposes)
    smaller = load_policy_set(write_dir({"t.yaml": [transport_policy()]}), catalog, purposes)
    with engine.begin() as conn:
        for day, policy_set in enumerate([demo, smaller, demo]):
            assert record_policy_set(conn, policy_set, T0 + timedelta(days=day))
        assert policy_set_at(conn, T0 + timedelta(days=2)).policy_set == demo


def test_an_edited_history_row_is_refused(engine, catalog, purposes) -> None:
    demo = load_policy_set(DEMO_POLICIES, catalog, purposes)
    with engine.begin() as conn:
        record_policy_set(conn, demo, T0)
        tampered = demo.canonical_json().replace('"epsilon":"1"', '"epsilon":"9"', 1)
        assert tampered != demo.canonical_json()
        conn.execute(update(policy_sets).values(content=tampered))
    with engine.connect() as conn, pytest.raises(HistoryError, match="does not match its hash"):
        policy_set_at(conn, T0)
