"""Demo consents: a realistic, reproducible share per purpose, counted by eligibility."""

from __future__ import annotations

from sqlalchemy import func, select

from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.demo.consents import CONSENT_SHARE, seed_demo_consents
from civicdata.models import AuditEvent
from consent.eligibility import eligible_subjects
from consent.receipts import verify_receipt
from consent.records import history
from consent.tables import consent_events

CITIZENS = [f"c-demo{i:05d}" for i in range(400)]


def test_demo_consents_give_a_share_per_purpose_and_withdraw_a_few(platform_: Platform) -> None:
    with platform_.sessions() as session:
        counts = seed_demo_consents(platform_, session, CITIZENS, seed=11)
        now = utcnow()
        eligible = {
            pid: set(session.scalars(eligible_subjects(pid, now))) for pid in platform_.purposes
        }
        written = session.scalar(select(func.count()).select_from(consent_events))
        audited = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "demo.consents")
        ).all()
        sample = history(session, next(iter(eligible["transport-planning"])))
    assert set(counts) == set(platform_.purposes) and len(audited) == 1
    low, high = CONSENT_SHARE
    for pid, count in counts.items():
        assert low - 0.08 <= count["given"] / len(CITIZENS) <= high + 0.08, pid
        assert 0 < count["withdrawn"] < count["given"] * 0.15, pid
        assert len(eligible[pid]) == count["given"] - count["withdrawn"]
        assert eligible[pid] <= set(CITIZENS)
    assert written == sum(c["given"] + c["withdrawn"] for c in counts.values())
    verify_receipt(sample[0].document(), platform_.signing.current("receipts").ed25519.public_key())


def test_the_same_seed_picks_the_same_citizens(platform_: Platform) -> None:
    with platform_.sessions() as session:
        first = seed_demo_consents(platform_, session, CITIZENS[:200], seed=3)
        again = seed_demo_consents(platform_, session, CITIZENS[200:], seed=3)
        picked = {c for c in session.scalars(eligible_subjects("water-management", utcnow()))}
    assert first == again
    assert {int(c[6:]) for c in picked if int(c[6:]) < 200} == {
        int(c[6:]) - 200 for c in picked if int(c[6:]) >= 200
    }
