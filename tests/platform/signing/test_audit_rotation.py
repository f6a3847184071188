"""The audit branch's checks across an audit key rotation: stored checks, fork location, vkey."""

from __future__ import annotations

import json

from click.testing import CliRunner

from civicdata.audit import record_event
from civicdata.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    sign_checkpoint,
)
from civicdata.audit.columns import columns_of
from civicdata.audit.log import canonical_json, entry_signing_input
from civicdata.audit.merkle import leaf_hash, root_hash
from civicdata.audit.queries import verify_live_log
from civicdata.audit.stored import check_stored_log
from civicdata.audit.tree import leaf_hashes, make_checkpoint
from civicdata.audit.verify import Verification
from civicdata.cli import cli
from civicdata.db import utcnow
from civicdata.models import AuditCheckpoint, AuditEvent
from civicdata.witness.cosignature import NOTE_ED25519, parse_vkey
from tests.support.cli import cli_env
from tests.support.tamper import allow_tampering


def _append(platform, n: int) -> None:
    for i in range(n):
        with platform.sessions() as session:
            record_event(session, actor="client:a", action="release.request", n=i)
            session.commit()
        with platform.sessions() as session:
            make_checkpoint(
                session, platform.signing.current("audit").ed25519, platform.audit_origin
            )
            session.commit()


def test_live_checks_locate_a_fork_across_a_rotation(own_platform) -> None:
    _append(own_platform, 3)
    own_platform.signing.rotate("audit")
    _append(own_platform, 3)
    with own_platform.sessions() as session:
        live = verify_live_log(session, own_platform.signing, own_platform.audit_origin)
    assert live.result.ok, live.result.problems
    with own_platform.sessions() as session:  # re-sign entry 4 (new key), keep every checkpoint
        allow_tampering(session)
        event = session.get(AuditEvent, 4)
        document = json.loads(event.entry)
        document["actor"] = "client:innocent"
        text = canonical_json(document)
        leaf = leaf_hash(text)
        event.entry, event.leaf_hash = text.decode(), leaf
        event.signature = own_platform.signing.current("audit").ed25519.sign(
            entry_signing_input(4, leaf)
        )
        event.actor = columns_of(text.decode())["actor"]
        session.commit()
    with own_platform.sessions() as session:
        live = verify_live_log(session, own_platform.signing, own_platform.audit_origin)
    assert live.result.first_bad == 4
    assert any("fork: entry 4 differs" in p for p in live.result.problems), live.result.problems


def test_a_stored_checkpoint_signed_by_a_receipts_key_is_refused(own_platform) -> None:
    _append(own_platform, 2)
    receipts = own_platform.signing.rotate("receipts").ed25519
    origin = own_platform.audit_origin
    with own_platform.sessions() as session:
        root = root_hash(leaf_hashes(session, 2))
        note = sign_checkpoint(Checkpoint(origin, 2, root), origin, receipts)
        session.add(AuditCheckpoint(size=3, root_hash=root, at=utcnow(), note=note))
        session.flush()
        result = Verification()
        check_stored_log(session, own_platform.signing.history(), origin, result)
        session.rollback()
    assert any("receipts key, not an audit key" in p for p in result.problems), result.problems
    with own_platform.sessions() as session:
        honest = Verification()
        check_stored_log(session, own_platform.signing.history(), origin, honest)
    assert honest.ok, honest.problems


def test_audit_vkey_is_the_current_audit_key(own_platform, own_config) -> None:
    env = cli_env(own_config)
    before = CliRunner().invoke(cli, ["audit", "vkey"], env=env)
    assert before.exit_code == 0, before.output
    name, old = parse_vkey(before.output, NOTE_ED25519)
    assert name == own_platform.audit_origin
    assert old == own_platform.signing.current("audit").ed25519.public_key()
    own_platform.signing.rotate("audit")
    _append(own_platform, 1)
    after = CliRunner().invoke(cli, ["audit", "vkey"], env=env)
    assert after.exit_code == 0 and after.output != before.output
    _, new = parse_vkey(after.output, NOTE_ED25519)
    with own_platform.sessions() as session:
        note = make_checkpoint(
            session, own_platform.signing.current("audit").ed25519, own_platform.audit_origin
        ).note
    assert open_checkpoint(note, own_platform.audit_origin, new).size == 1
    try:
        open_checkpoint(note, own_platform.audit_origin, old)
    except CheckpointError:
        pass
    else:
        raise AssertionError("a witness holding the old vkey must refuse the new checkpoint")
