"""The consent life cycle: give, withdraw, expire, review, and what a citizen sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from consent.notices import sync_notices
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.records import ConsentError, find_event, give, history, withdraw
from consent.status import states
from consent.tables import consent_events
from tests.consent.helpers import T0, reworded

ALICE = "c-alice"
BOB = "c-bob"
TRANSPORT = "transport-planning"


@pytest.fixture
def synced(engine: Engine, purposes: dict[str, Purpose]) -> Engine:
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0 - timedelta(days=1))
    return engine


def test_give_then_withdraw_then_give_again(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    transport = purposes[TRANSPORT]
    with synced.begin() as conn:
        given = give(conn, ALICE, transport, language="ca", method="portal", now=T0, issuer=issuer)
        assert given.state == "given"
        assert given.valid_until == T0.replace(year=T0.year + 1)  # consent_validity P1Y
        assert (given.notice_version, given.language, given.collection_method) == (
            1,
            "ca",
            "portal",
        )
        assert (given.legal_basis, given.controller) == ("dpv:Consent", "transport")
        assert states(conn, ALICE, purposes, T0)[TRANSPORT].state == "given"

        gone = withdraw(
            conn,
            ALICE,
            transport,
            language="en",
            method="api",
            now=T0 + timedelta(hours=1),
            issuer=issuer,
        )
        assert (gone.state, gone.valid_until, gone.notice_version) == ("withdrawn", None, 1)
        after = states(conn, ALICE, purposes, T0 + timedelta(hours=1))[TRANSPORT]
        assert (after.state, after.active) == ("withdrawn", False)

        again = give(
            conn,
            ALICE,
            transport,
            language="en",
            method="portal",
            now=T0 + timedelta(days=2),
            issuer=issuer,
        )
        events = history(conn, ALICE)
    assert [e.state for e in events] == ["given", "withdrawn", "given"]
    assert [e.record_id for e in events] == [given.record_id, gone.record_id, again.record_id]
    assert events[0] == given  # what was returned is what was stored, receipt included


def test_states_cover_every_purpose_and_default_to_none(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    with synced.begin() as conn:
        give(
            conn, ALICE, purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer
        )
        now_states = states(conn, ALICE, purposes, T0)
        before_states = states(conn, ALICE, purposes, T0 - timedelta(microseconds=1))
        bob_states = states(conn, BOB, purposes, T0)
    assert list(now_states) == list(purposes)
    assert {p: s.state for p, s in now_states.items() if p != TRANSPORT} == {
        p: "none" for p in purposes if p != TRANSPORT
    }
    assert not any(s.active for p, s in now_states.items() if p != TRANSPORT)
    assert now_states[TRANSPORT].active
    assert before_states[TRANSPORT].state == "none"  # events after `now` are not seen
    assert all(s.state == "none" for s in bob_states.values())


def test_expiry_is_computed_at_query_time(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    with synced.begin() as conn:
        event = give(
            conn, ALICE, purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer
        )
        assert event.valid_until is not None
        just_before = states(
            conn, ALICE, [TRANSPORT], event.valid_until - timedelta(microseconds=1)
        )
        at_expiry = states(conn, ALICE, [TRANSPORT], event.valid_until)
        written = conn.scalar(select(func.count()).select_from(consent_events))
    assert (just_before[TRANSPORT].state, just_before[TRANSPORT].active) == ("given", True)
    assert (at_expiry[TRANSPORT].state, at_expiry[TRANSPORT].active) == ("expired", False)
    assert written == 1  # nothing written lazily


@pytest.mark.parametrize("material", [False, True])
def test_new_notice_version_needs_review_and_material_ones_need_fresh_consent(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer, material: bool
) -> None:
    changed = reworded(purposes[TRANSPORT], material=material)
    published = T0 + timedelta(days=10)
    with synced.begin() as conn:
        give(
            conn, ALICE, purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer
        )
        sync_notices(conn, {TRANSPORT: changed}, published)
        before = states(conn, ALICE, [TRANSPORT], published - timedelta(microseconds=1))[TRANSPORT]
        review = states(conn, ALICE, [TRANSPORT], published)[TRANSPORT]
        renewed = give(
            conn,
            ALICE,
            changed,
            language="en",
            method="portal",
            now=published + timedelta(days=1),
            issuer=issuer,
        )
        after = states(conn, ALICE, [TRANSPORT], published + timedelta(days=1))[TRANSPORT]
    assert (before.state, before.current_version) == ("given", 1)
    assert (review.state, review.given_version, review.current_version) == ("needs_review", 1, 2)
    assert review.active is not material
    assert review.reconsent_required is material
    assert renewed.notice_version == 2
    assert (after.state, after.active, after.reconsent_required) == ("given", True, False)


def test_oauth_consent_records_its_client(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    with synced.begin() as conn:
        event = give(
            conn,
            ALICE,
            purposes[TRANSPORT],
            language="en",
            method="oauth",
            now=T0,
            issuer=issuer,
            client_id="app-123",
        )
        stored = find_event(conn, ALICE, event.record_id)
        not_bobs = find_event(conn, BOB, event.record_id)
    assert stored is not None
    assert (stored.collection_method, stored.client_id) == ("oauth", "app-123")
    assert stored.receipt["clientId"] == "app-123"
    assert not_bobs is None  # one citizen cannot fetch another's receipt


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "oauth"}, "needs its client_id"),
        ({"method": "email"}, "collection method 'email'"),
        ({"language": "fr"}, "no notice in language 'fr'"),
        ({"subject": ""}, "pseudonym"),
        ({"subject": "x" * 41}, "pseudonym"),
    ],
)
def test_invalid_requests_are_refused_and_write_nothing(
    synced: Engine,
    purposes: dict[str, Purpose],
    issuer: ReceiptIssuer,
    change: dict[str, str],
    message: str,
) -> None:
    request = {"subject": ALICE, "language": "en", "method": "portal"} | change
    with synced.begin() as conn:
        with pytest.raises(ConsentError, match=message):
            give(
                conn,
                request["subject"],
                purposes[TRANSPORT],
                language=request["language"],
                method=request["method"],
                now=T0,
                issuer=issuer,
            )
        assert conn.scalar(select(func.count()).select_from(consent_events)) == 0


def test_withdrawing_without_consent_is_refused(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    transport = purposes[TRANSPORT]
    with synced.begin() as conn:
        with pytest.raises(ConsentError, match="no consent"):
            withdraw(conn, ALICE, transport, language="en", method="portal", now=T0, issuer=issuer)
        give(conn, ALICE, transport, language="en", method="portal", now=T0, issuer=issuer)
        withdraw(conn, ALICE, transport, language="en", method="portal", now=T0, issuer=issuer)
        with pytest.raises(ConsentError, match="no consent"):
            withdraw(conn, ALICE, transport, language="en", method="portal", now=T0, issuer=issuer)
        assert [e.state for e in history(conn, ALICE)] == ["given", "withdrawn"]


def test_consent_needs_the_published_notice(
    engine: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    transport = purposes[TRANSPORT]
    with engine.begin() as conn:
        with pytest.raises(ConsentError, match="sync_notices"):
            give(conn, ALICE, transport, language="en", method="portal", now=T0, issuer=issuer)
        sync_notices(conn, purposes, T0)
        with pytest.raises(ConsentError, match="sync_notices"):  # text changed, not published
            give(
                conn,
                ALICE,
                reworded(transport, material=False),
                language="en",
                method="portal",
                now=T0,
                issuer=issuer,
            )


def test_events_dated_before_the_last_one_are_refused(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    transport = purposes[TRANSPORT]
    with synced.begin() as conn:
        give(conn, ALICE, transport, language="en", method="portal", now=T0, issuer=issuer)
        with pytest.raises(ConsentError, match="before the last consent event"):
            withdraw(
                conn,
                ALICE,
                transport,
                language="en",
                method="portal",
                now=T0 - timedelta(seconds=1),
                issuer=issuer,
            )
