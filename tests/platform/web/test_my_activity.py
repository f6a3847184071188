"""A citizen's "what happened with my data": only their entries, each proven."""

from __future__ import annotations

import re

from sqlalchemy import select

from civicdata.audit import record_event
from civicdata.models import AuditEvent
from tests.support.oauth import new_citizen, new_staff, sign_in

SHOWN = re.compile(r'<li id="entry-(\d+)"')


def _about(platform, citizen_id: str, n: int) -> list[int]:
    with platform.sessions() as session:
        ids = [
            record_event(
                session,
                actor="client:transport-app",
                action="consent.withdraw",
                subject=citizen_id,
                purpose="mobility",
            ).id
            for _ in range(n)
        ]
        session.commit()
    return ids


def test_a_citizen_sees_only_entries_about_them_each_verified(app, client, platform_):
    alice = new_citizen(platform_, "alice@example.org")
    bob = new_citizen(platform_, "bob@example.org")
    mine = _about(platform_, alice.citizen_id, 3)
    theirs = _about(platform_, bob.citizen_id, 2)
    assert sign_in(app.test_client(), "bob@example.org").status_code == 302  # about Bob only

    assert sign_in(client, "alice@example.org").status_code == 302
    page = client.get("/my/activity")
    assert page.status_code == 200
    shown = [int(i) for i in SHOWN.findall(page.text)]
    assert set(mine) <= set(shown) and not set(theirs) & set(shown)
    assert shown == sorted(shown, reverse=True)
    with platform_.sessions() as session:
        rows = session.execute(
            select(AuditEvent.subject, AuditEvent.actor).where(AuditEvent.id.in_(shown))
        ).all()
    assert all(alice.citizen_id in (subject, actor) for subject, actor in rows)
    assert f"All {len(shown)} entries on this page are proven to be in the signed log" in page.text
    assert "NOT verified" not in page.text
    assert "An app recorded your withdrawal of consent to “mobility”" in page.text
    assert 'href="/my/privacy-loss"' in page.text  # the releases that used Alice's data


def test_entries_page_through_and_bad_cursor_is_400(client, platform_):
    alice = new_citizen(platform_, "alice@example.org")
    mine = _about(platform_, alice.citizen_id, 25)
    sign_in(client, "alice@example.org")
    first = client.get("/my/activity")
    older = re.search(r'rel="next" href="([^"]+)"', first.text).group(1)
    seen = SHOWN.findall(first.text) + SHOWN.findall(client.get(older).text)
    assert set(mine) <= {int(i) for i in seen} and len(seen) == len(set(seen))
    assert client.get("/my/activity?before=abc").status_code == 400


def test_only_citizens_have_this_page(client, platform_):
    assert client.get("/my/activity").status_code == 302
    new_staff(platform_, "auditor", "aud@example.org")
    sign_in(client, "aud@example.org")
    assert client.get("/my/activity").status_code == 403
