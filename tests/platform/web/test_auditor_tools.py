"""The auditor's tools: actors described and searchable, lookups, readable denials."""

from __future__ import annotations

import re

import pytest

from civicdata.audit import record_event
from tests.support.oauth import new_citizen, new_client, new_staff, service_token, sign_in

ENTRY_LINK = re.compile(r'aria-label="Entry (\d+)"')


@pytest.fixture
def auditor(client, platform_):
    new_staff(platform_, "auditor", "auditor@example.org")
    assert sign_in(client, "auditor@example.org").status_code == 302
    return client


@pytest.fixture
def log(platform_) -> dict[str, int]:
    office = new_client(
        platform_, role="auditor", scopes=["audit:read"], name="Harbour Audit Office"
    )
    analyst = new_staff(
        platform_, "analyst", "ana@example.org", department="transport", name="Ana Pereira"
    )
    new_staff(platform_, "analyst", "bo@example.org", department="water", name="Bo Anaya")
    citizen = new_citizen(platform_, "cit@example.org")
    with platform_.sessions() as session:
        entries = {
            "client": record_event(
                session, actor=f"client:{office.client.client_id}", action="api.access"
            ),
            "denied": record_event(
                session,
                actor=analyst.id,
                action="release.decision",
                resource="releases",
                decision="denied",
                policy_id=None,
                failure="budget_exhausted",
                clause="budget",
                department="transport",
                dataset="trips",
                purpose="transport-planning",
                query_hash="qh-123",
            ),
            "spend": record_event(
                session,
                actor=analyst.id,
                action="release.spend",
                resource="rel-42",
                policy_id="transport-trips",
                department="transport",
                query_hash="qh-123",
            ),
            "citizen": record_event(
                session,
                actor=str(citizen.citizen_id),
                action="consent.give",
                subject=str(citizen.citizen_id),
            ),
        }
        session.commit()
        return {kind: event.id for kind, event in entries.items()} | {
            "denied_leaf": entries["denied"].leaf_hash.hex()  # type: ignore[dict-item]
        }


def _shown(html: str) -> list[int]:
    return [int(i) for i in ENTRY_LINK.findall(html)]


def test_clients_and_staff_are_named_beside_their_ids_and_searchable(auditor, log) -> None:
    by_name = auditor.get("/auditor/events?actor=harbour+audit").text
    assert _shown(by_name) == [log["client"]]
    assert "Harbour Audit Office (auditor client)" in by_name
    by_email = auditor.get("/auditor/events?actor=ana@example.org").text
    assert _shown(by_email) == [log["spend"], log["denied"]]
    assert "Ana Pereira (analyst account, transport)" in by_email
    # Staff by name: any part of it, in any case; Bo Anaya acted in no entry.
    for search in ("pereira", "ANA PER", "  ana   pereira "):
        found = auditor.get("/auditor/events", query_string={"actor": search}).text
        assert _shown(found) == [log["spend"], log["denied"]], search
    assert _shown(auditor.get("/auditor/events?actor=anaya").text) == []
    assert _shown(auditor.get("/auditor/events?actor=zz-nobody").text) == []
    # Citizens stay pseudonymous: their email finds nothing, their entries say "citizen".
    assert _shown(auditor.get("/auditor/events?actor=cit@example.org").text) == []
    page = auditor.get(f"/auditor/events/{log['citizen']}").text
    assert "cit@example.org" not in page and 'id="actor-label">citizen<' in page


def test_a_denial_reads_as_fields_and_lookups_find_entries(auditor, log) -> None:
    denial = auditor.get(f"/auditor/events/{log['denied']}").text
    reason = re.search(r'<dl id="denial">(.*?)</dl>', denial, re.S).group(1)
    assert "budget" in reason and "budget_exhausted" in reason
    assert "no policy grants this department" in reason
    assert _shown(auditor.get("/auditor/lookup?q=qh-123").text) == [log["spend"], log["denied"]]
    spend = auditor.get(f"/auditor/events/{log['spend']}").text
    assert 'href="/auditor/lookup?q=rel-42"' in spend
    assert _shown(auditor.get("/auditor/lookup?q=rel-42").text) == [log["spend"]]
    assert _shown(auditor.get(f"/auditor/lookup?q={log['denied_leaf']}").text) == [log["denied"]]
    assert "No entry has" in auditor.get("/auditor/lookup?q=nothing-here").text
    assert auditor.get("/auditor/lookup?q=" + "x" * 201).status_code == 400


def test_the_api_describes_actors_and_looks_up(client, platform_, log) -> None:
    token = service_token(client, platform_, role="auditor", scopes=["audit:read"])
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/audit/events?actor=ana@example.org", headers=headers).json
    assert [e["index"] for e in listed["events"]] == [log["spend"], log["denied"]]
    assert listed["events"][0]["actor_info"] == {
        "kind": "staff",
        "name": "Ana Pereira",
        "role": "analyst",
        "department": "transport",
    }
    by_name = client.get("/api/v1/audit/events?actor=pereira", headers=headers).json
    assert [e["index"] for e in by_name["events"]] == [log["spend"], log["denied"]]
    consent = client.get("/api/v1/audit/events?action=consent.give", headers=headers).json
    assert [e["actor_info"] for e in consent["events"]] == [
        {"kind": "citizen", "name": None, "role": None, "department": None}
    ]
    found = client.get(f"/api/v1/audit/lookup?q={log['denied_leaf']}", headers=headers).json
    assert [e["index"] for e in found["events"]] == [log["denied"]]
    assert client.get("/api/v1/audit/lookup", headers=headers).status_code == 400


def test_a_pasted_kept_checkpoint_is_proven_consistent_or_not(auditor, platform_, log) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civicdata.audit.checkpoints import Checkpoint, sign_checkpoint
    from civicdata.audit.merkle import verify_consistency
    from civicdata.audit.queries import signed_checkpoint
    from tests.support.oauth import csrf_token

    with platform_.sessions() as session:
        kept = signed_checkpoint(session, platform_.signing, platform_.audit_origin)
        kept_size, kept_root, kept_note = kept.size, kept.root_hash, kept.note
    form = auditor.get("/auditor/consistency").text

    def paste(note: str):  # type: ignore[no-untyped-def]
        return auditor.post(
            "/auditor/consistency", data={"checkpoint": note, "csrf_token": csrf_token(form)}
        )

    checked = paste(kept_note.replace("\n", "\r\n"))  # as a browser sends a textarea
    assert checked.status_code == 200 and "Consistent: the log of" in checked.text
    latest = int(re.search(r"Latest checkpoint: size (\d+), root", checked.text).group(1))
    latest_root = bytes.fromhex(re.search(r"size \d+, root <code[^>]*>([0-9a-f]{64})", checked.text.split("Latest checkpoint")[1]).group(1))  # fmt: skip
    proof = [bytes.fromhex(h) for h in re.findall(r"<li><code[^>]*>([0-9a-f]{64})</code></li>", checked.text)]  # fmt: skip
    assert latest > kept_size
    assert verify_consistency(kept_size, latest, kept_root, latest_root, proof)

    forked = sign_checkpoint(
        Checkpoint(platform_.audit_origin, kept_size, bytes(32)),
        platform_.audit_origin,
        platform_.signing.current("audit").ed25519,
    )
    assert "NOT consistent" in paste(forked).text
    other_key = sign_checkpoint(
        Checkpoint(platform_.audit_origin, kept_size, kept_root),
        platform_.audit_origin,
        Ed25519PrivateKey.generate(),
    )
    refused = paste(other_key)
    assert refused.status_code == 400 and 'id="checkpoint-errors"' in refused.text
    assert paste("").status_code == 400


def test_the_policies_of_two_moments_side_by_side(auditor, platform_) -> None:
    import dataclasses
    from datetime import UTC, datetime
    from decimal import Decimal

    from policies.budget import Cost
    from policies.history import record_policy_set

    current = platform_.policy_set
    libraries = current.get("libraries-loans")
    older = dataclasses.replace(
        current,
        policies=tuple(
            dataclasses.replace(p, budget=Cost(Decimal(2)), approvers=("Data Protection Officer",))
            if p.id == libraries.id
            else p
            for p in current.policies
            if p.department != "health"
        ),
    )
    with platform_.engine.begin() as conn:
        record_policy_set(conn, older, datetime(2025, 1, 1, tzinfo=UTC))
        record_policy_set(conn, current, datetime(2025, 6, 1, tzinfo=UTC))
    assert auditor.get("/auditor/policies/compare").status_code == 200  # the form alone
    page = auditor.get("/auditor/policies/compare?first=2025-02-01T00:00&second=2025-07-01T00:00")
    assert page.status_code == 200
    assert "1 added, 0 removed, 1 changed" in page.text
    change = re.search(r'<table class="policy-change" id="change-libraries-loans">(.*?)</table>', page.text, re.S).group(1)  # fmt: skip
    assert '<th scope="row">Budget</th>' in change
    assert "ε 2 per rolling 30 days" in change and "ε 3 per rolling 30 days" in change
    assert "added: Chief Librarian" in change
    added = re.search(r'<div id="added">(.*?)</div>', page.text, re.S).group(1)
    assert "health-clinic-visits" in added and "count, distinct citizens" in added
    bad = auditor.get("/auditor/policies/compare?first=2025-02-01&second=soon")
    assert bad.status_code == 400 and 'id="second-errors"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    missing = auditor.get("/auditor/policies/compare?first=2025-02-01")
    assert missing.status_code == 400 and 'id="second-errors"' in missing.text


def test_epsilon_per_day_per_grant_as_a_chart_and_a_table(auditor, client, platform_) -> None:
    from datetime import UTC, datetime

    from tests.support.spending import charge

    with platform_.sessions() as session:
        charge(session, platform_, "transport-trips", datetime(2026, 3, 2, 9, tzinfo=UTC), "0.5")
        charge(session, platform_, "transport-trips", datetime(2026, 3, 2, 15, tzinfo=UTC), "0.25")
        charge(session, platform_, "libraries-loans", datetime(2026, 3, 4, tzinfo=UTC), "1")
        session.commit()
    page = auditor.get("/auditor/budgets/daily?from=2026-03-01&to=2026-03-07")
    assert page.status_code == 200
    chart = re.search(
        r'<figure class="daily" id="daily-chart">(.*?)</figure>', page.text, re.S
    ).group(1)
    assert chart.count('class="panel"') == 2 and "<title" in chart
    assert "ε charged per day, per grant, 2026-03-01 to 2026-03-07" in chart
    rows = re.findall(r"<tr><td>(2026-03-\d\d)</td><td>([a-z-]+)</td>.*?<td>([\d.]+)</td><td>0</td><td>(\d+)</td></tr>", page.text)  # fmt: skip
    assert rows == [
        ("2026-03-02", "transport-trips", "0.75", "2"),
        ("2026-03-04", "libraries-loans", "1", "1"),
    ]
    assert 'id="verified"' in page.text
    default = auditor.get("/auditor/budgets/daily")  # the last 30 days: nothing charged
    assert default.status_code == 200 and 'id="no-spending"' in default.text
    for query, field in (
        ("from=2026-02-30", "from"),
        ("from=2026-03-07&to=2026-03-01", "to"),
        ("from=2026-03-01&to=soon", "to"),
        ("from=3000-01-01", "from"),
    ):
        bad = auditor.get(f"/auditor/budgets/daily?{query}")
        assert bad.status_code == 400, query
        assert f'id="{field}-errors"' in bad.text and 'aria-invalid="true"' in bad.text, query

    token = service_token(client, platform_, role="auditor", scopes=["audit:read"])
    headers = {"Authorization": f"Bearer {token}"}
    api = client.get("/api/v1/budgets/daily?from=2026-03-01&to=2026-03-07", headers=headers)
    assert api.status_code == 200, api.text
    assert api.json["from"] == "2026-03-01" and api.json["unverified"] == []
    transport = next(g for g in api.json["grants"] if g["policy_id"] == "transport-trips")
    assert transport["epsilon"] == "0.75"
    assert transport["days"] == [
        {"day": "2026-03-02", "epsilon": "0.75", "delta": "0", "charges": 2}
    ]
    for query, field in (
        ("from=2026-02-30", "from"),
        ("from=2026-03-07&to=2026-03-01", "to"),
        ("to=yesterday", "to"),
        ("from=2026-03-01&until=2026-03-02", "until"),
    ):
        bad = client.get(f"/api/v1/budgets/daily?{query}", headers=headers)
        assert bad.status_code == 400 and bad.mimetype == "application/problem+json", query
        assert field in bad.json["errors"]["query"] and f"query.{field}" in bad.json["detail"]
    department = service_token(
        client, platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    refused = client.get("/api/v1/budgets/daily", headers={"Authorization": f"Bearer {department}"})
    assert refused.status_code == 403
