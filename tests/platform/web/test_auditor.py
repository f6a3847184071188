"""The auditor's portal pages: filter, prove, verify, export, policies in force."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import select, update

from civicdata.audit import record_event
from civicdata.audit.merkle import leaf_hash, verify_inclusion
from civicdata.audit.verify import verify_export
from civicdata.city import sync_city
from civicdata.i18n import iso_duration
from civicdata.models import AuditCheckpoint, AuditEvent
from civicdata.signing.history import KeyHistory
from policies.tables import policy_sets
from tests.support.oauth import new_citizen, new_staff, sign_in
from tests.support.tamper import allow_tampering

AUDITOR = "auditor@example.org"
ENTRY_LINK = re.compile(r'aria-label="Entry (\d+)"')
PROOF_STEP = re.compile(r'<li><code class="break">([0-9a-f]{64})</code></li>')


@pytest.fixture
def auditor(client, platform_):
    new_staff(platform_, "auditor", AUDITOR)
    assert sign_in(client, AUDITOR).status_code == 302
    return client


@pytest.fixture
def log(platform_) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {"transport": [], "health": []}
    with platform_.sessions() as session:
        for i in range(4):
            department = "transport" if i % 2 else "health"
            event = record_event(
                session,
                actor=f"client:{department}",
                action="release.request",
                department=department,
                dataset="trips",
                purpose="mobility",
                n=i,
            )
            kinds[department].append(event.id)
        session.commit()
    return kinds


def _shown(html: str) -> list[int]:
    return [int(i) for i in ENTRY_LINK.findall(html)]


def test_filters_show_only_matching_entries_and_page_through_them(auditor, log):
    page = auditor.get("/auditor/events?department=transport&decision=")
    assert page.status_code == 200
    assert _shown(page.text) == sorted(log["transport"], reverse=True)
    first = auditor.get("/auditor/events?action=release.request&limit=3")
    assert _shown(first.text) == sorted(log["transport"] + log["health"], reverse=True)[:3]
    older = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    assert _shown(auditor.get(older).text) == [min(log["transport"] + log["health"])]


def test_a_bad_filter_is_a_400_naming_the_field(auditor, log):
    page = auditor.get("/auditor/events?from=not-a-time&dataset=trips")
    assert page.status_code == 400
    assert 'id="from-errors"' in page.text and "Not a valid datetime" in page.text
    assert 'aria-invalid="true"' in page.text and _shown(page.text) == []
    assert auditor.get("/auditor/events?limit=-4").status_code == 400
    assert auditor.get("/auditor/events.csv?to=yesterday").status_code == 400


def test_an_entry_shows_its_inclusion_proof_verified(auditor, platform_, log):
    index = log["health"][1]
    page = auditor.get(f"/auditor/events/{index}")
    assert page.status_code == 200
    size = int(re.search(r"signed checkpoint of size (\d+), root", page.text).group(1))
    with platform_.sessions() as session:
        root = session.get(AuditCheckpoint, size).root_hash
        entry = session.get(AuditEvent, index).entry
    assert f"root <code>{root.hex()}</code>" in page.text
    proof = [bytes.fromhex(step) for step in PROOF_STEP.findall(page.text)]
    assert verify_inclusion(index, size, leaf_hash(entry.encode()), proof, root)

    with platform_.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(
            update(AuditEvent.__table__)
            .where(AuditEvent.id == index)
            .values(entry=entry.replace('"n":2', '"n":7'))
        )
    tampered = auditor.get(f"/auditor/events/{index}")
    assert "NOT verified" in tampered.text and "does not match its leaf hash" in tampered.text
    assert auditor.get("/auditor/events/99999").status_code == 404


def test_verification_page_names_the_first_bad_entry(auditor, platform_, log):
    assert "OK:" in auditor.get("/auditor/verification").text
    victim = log["transport"][0]
    with platform_.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(
            update(AuditEvent.__table__).where(AuditEvent.id == victim).values(actor="someone")
        )
        conn.execute(
            update(AuditEvent.__table__)
            .where(AuditEvent.id == victim)
            .values(entry=AuditEvent.entry + " ")
        )
    page = auditor.get("/auditor/verification").text
    assert f"FAILED at entry {victim}" in page


def test_downloads_hold_the_filtered_view_and_the_verifiable_log(auditor, platform_, log):
    rows = list(
        csv.DictReader(io.StringIO(auditor.get("/auditor/events.csv?department=health").text))
    )
    assert [int(r["index"]) for r in rows] == sorted(log["health"], reverse=True)
    as_json = auditor.get("/auditor/events.json?department=transport")
    assert [r["index"] for r in as_json.json] == sorted(log["transport"], reverse=True)

    current = load_pem_public_key(auditor.get("/auditor/public-key.pem").data)
    history = KeyHistory.from_document(auditor.get("/.well-known/civic-keys").json)
    assert history.current("audit").public_key == current
    lines = auditor.get("/auditor/log.jsonl").text.splitlines()
    result = verify_export(lines, history)
    assert result.ok, result.problems
    assert result.size > max(log["transport"] + log["health"])


def _in_words(period: str) -> str:
    return "calendar month" if period == "calendar-month" else iso_duration(period, "en")


def test_policies_in_force_at_a_chosen_time(auditor, platform_):
    sync_city(platform_)
    with platform_.engine.connect() as conn:
        loaded = conn.execute(select(policy_sets.c.loaded_at)).scalar_one()
    when = (loaded + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    page = auditor.get(f"/auditor/policies?at={when}")
    assert page.status_code == 200
    assert platform_.policy_set.content_hash[:16] in page.text
    for policy in platform_.policy_set.policies:
        assert f"<strong>{policy.id}</strong>" in page.text
        assert f"per {_in_words(policy.period.label)}" in page.text
    earlier = (loaded - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert "No policy set had been loaded" in auditor.get(f"/auditor/policies?at={earlier}").text
    assert platform_.policy_set.content_hash[:16] in auditor.get("/auditor/policies").text  # now
    bad = auditor.get("/auditor/policies?at=tomorrowish")
    assert bad.status_code == 400 and 'id="at-errors"' in bad.text


def test_only_auditors_see_the_pages(client, platform_):
    assert client.get("/auditor/events").status_code == 302  # to the sign-in page
    new_citizen(platform_, "c@example.org")
    sign_in(client, "c@example.org")
    for path in (
        "/auditor/events",
        "/auditor/events/0",
        "/auditor/verification",
        "/auditor/policies",
        "/auditor/events.csv",
        "/auditor/log.jsonl",
    ):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "client:other"),
        ("action", "api.access"),
        ("resource", "/elsewhere"),
        ("decision", "denied"),
        ("subject", "cit-9"),
        ("department", "transport"),
        ("dataset", "visits"),
        ("purpose", "care"),
        ("details", {"n": 0}),
    ],
)
def test_a_relabelled_column_fails_verification_naming_the_entry(
    auditor, platform_, log, column, value
):
    victim = log["health"][1]
    with platform_.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(
            update(AuditEvent.__table__).where(AuditEvent.id == victim).values({column: value})
        )
    page = auditor.get("/auditor/verification").text
    assert f"FAILED at entry {victim}" in page
    assert f"entry {victim}: its {column} column says" in page
    shown = auditor.get(f"/auditor/events/{victim}").text
    assert "NOT verified" in shown and f"stored {column} column disagrees" in shown
    if column == "department":  # the entry is shown as signed, and flagged in the list
        assert "<td>health</td>" in shown
        listed = auditor.get("/auditor/events?department=transport").text
        assert victim in _shown(listed) and "altered</strong>" in listed
