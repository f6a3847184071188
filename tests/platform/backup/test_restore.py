"""A backup, an erasure, a restore: the erased citizen stays erased; a tampered log refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from civicdata.audit import record_event
from civicdata.audit.export import export_lines
from civicdata.audit.tree import committed_size
from civicdata.audit.verify import verify_export
from civicdata.backup.create import take_backup
from civicdata.backup.restore import restore_backup
from civicdata.backup.snapshot import RestoreRefused, from_database, from_files
from civicdata.consents.erasure import erase_me
from civicdata.consents.receipt_keys import verify_published_receipt
from civicdata.context import Platform
from civicdata.identity.models import Account
from civicdata.models import AuditEvent, Citizen, CitizenKey, RecordBlock
from civicdata.records import write_blocks
from tests.support.oauth import new_citizen
from tests.support.tamper import allow_tampering

TRIP = {"mode": "bus", "district": "Harbour", "month": "2025-05", "duration_min": 12.0}


class Steps:
    """Collects what the restore reports, so a test can see its progress."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.advanced: list[tuple[int, int]] = []

    def step(self, message: str) -> None:
        self.messages.append(message)

    def advance(self, done: int, total: int) -> None:
        self.advanced.append((done, total))


def with_records(platform: Platform, citizen_id: str) -> None:
    with platform.sessions() as session:
        cipher = platform.vault.cipher(session, citizen_id)
        spec = platform.catalog.datasets["trips"]
        write_blocks(session, {citizen_id: cipher}, spec, {citizen_id: [TRIP, TRIP]})
        session.commit()


def erase(platform: Platform, account: Account) -> dict:
    with platform.sessions() as session:
        row = session.get(Account, account.id)
        assert row is not None
        document = erase_me(platform, session, row, confirmed=True, language="en")
        session.commit()
    return document


def held(platform: Platform, citizen_id: str) -> tuple[bool, int]:
    """Whether the citizen's data key is stored, and how many record blocks."""
    with platform.sessions() as session:
        key = session.get(CitizenKey, citizen_id) is not None
        blocks = session.scalars(select(RecordBlock.id).where(RecordBlock.citizen_id == citizen_id))
        return key, len(blocks.all())


def test_a_restored_backup_never_brings_an_erased_citizen_back(
    own_platform: Platform, tmp_path: Path
) -> None:
    rosa = new_citizen(own_platform, "rosa@example.org", name="Rosa")
    other = new_citizen(own_platform, "other@example.org")
    rosa_id, other_id = str(rosa.citizen_id), str(other.citizen_id)
    with_records(own_platform, rosa_id)
    with_records(own_platform, other_id)
    backup = tmp_path / "civic.backup"
    manifest = take_backup(own_platform, backup, lambda done, total: None)
    assert held(own_platform, rosa_id) == (True, 1)

    own_platform.signing.rotate("receipts")  # the erasure receipt uses a key the backup lacks
    receipt = erase(own_platform, rosa)
    assert held(own_platform, rosa_id) == (False, 0)

    steps = Steps()
    snapshot = from_database(own_platform, lambda n: None)
    done = restore_backup(own_platform, backup, snapshot, steps)

    assert done.backup_log_size == manifest.audit_size and done.erasures_replayed == 1
    assert held(own_platform, rosa_id) == (False, 0)
    assert held(own_platform, other_id) == (True, 1)
    with own_platform.sessions() as session:
        citizen = session.get(Citizen, rosa_id)
        assert citizen is not None and citizen.erased_at is not None and citizen.email_enc is None
        account = session.get(Account, rosa.id)
        assert account is not None and account.disabled_at is not None
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        lines = list(export_lines(session, own_platform.audit_origin))
    assert actions[-1] == "database.restore" and "citizen.erase" in actions
    history = own_platform.signing.history(refresh=True)
    assert verify_published_receipt(receipt, history)["piiPrincipalId"] == rosa_id
    assert verify_export(lines, history).ok
    assert any("replayed 1 erasure" in m for m in steps.messages) and steps.advanced


def test_a_restore_over_a_tampered_log_refuses_and_changes_nothing(
    own_platform: Platform, tmp_path: Path
) -> None:
    rosa = new_citizen(own_platform, "rosa@example.org", name="Rosa")
    with_records(own_platform, str(rosa.citizen_id))
    backup = tmp_path / "civic.backup"
    take_backup(own_platform, backup, lambda done, total: None)
    erase(own_platform, rosa)
    with own_platform.sessions() as session:
        size = committed_size(session)
        allow_tampering(session)  # an attacker with the database owner's powers
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "citizen.erase")
            .values(entry=AuditEvent.entry + " ")  # hide the erasure: any edit will do
        )
        session.commit()
    snapshot = from_database(own_platform, lambda n: None)
    with pytest.raises(RestoreRefused, match="does not verify"):
        restore_backup(own_platform, backup, snapshot, Steps())
    with own_platform.sessions() as session:
        assert committed_size(session) == size
    assert held(own_platform, str(rosa.citizen_id)) == (False, 0)


def test_a_log_that_ends_before_the_backup_refuses(own_platform: Platform, tmp_path: Path) -> None:
    early_log, keys = tmp_path / "early.jsonl", tmp_path / "keys.json"
    rosa = new_citizen(own_platform, "rosa@example.org")
    snapshot = from_database(own_platform, lambda n: None)
    early_log.write_text("\n".join(snapshot.lines) + "\n")
    keys.write_text(json.dumps(snapshot.history.document()))
    with own_platform.sessions() as session:
        record_event(session, actor="operator", action="test.later")
        session.commit()
    backup = tmp_path / "civic.backup"
    take_backup(own_platform, backup, lambda done, total: None)
    with pytest.raises(RestoreRefused, match="ends before the backup"):
        restore_backup(own_platform, backup, from_files(early_log, keys), Steps())
    assert held(own_platform, str(rosa.citizen_id)) == (True, 0)
