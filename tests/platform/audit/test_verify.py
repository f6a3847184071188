"""Offline verification detects every tampering and names the entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from civicdata.audit import record_event
from civicdata.audit.checkpoints import CheckpointError, open_checkpoint
from civicdata.audit.export import export_lines
from civicdata.audit.merkle import verify_consistency, verify_inclusion
from civicdata.audit.tree import make_checkpoint, prove_consistency, prove_inclusion
from civicdata.audit.verify import verify_export
from civicdata.cli import cli
from civicdata.models import AuditCheckpoint, AuditEvent
from civicdata.signing.history import KeyHistory
from tests.support.tamper import allow_tampering

N = 12

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(platform, n: int = N, start: int = 0) -> None:
    with platform.sessions() as session:
        for i in range(start, start + n):
            record_event(
                session, actor=f"client:{i % 3}", action="release.request", dataset="trips", n=i
            )
        session.commit()


def _export(platform) -> list[str]:
    with platform.sessions() as session:
        make_checkpoint(session, platform.signing.current("audit").ed25519, platform.audit_origin)
        session.commit()
        return list(export_lines(session, platform.audit_origin))


def _verify(platform, lines: list[str], since: str | None = None):
    return verify_export(lines, platform.signing.history(), since)


def test_an_untouched_log_verifies(platform_) -> None:
    _fill(platform_)
    result = _verify(platform_, _export(platform_))
    assert result.ok, result.problems
    assert result.size == N


def _edit(lines: list[str], position: int, mutate) -> list[str]:
    out = list(lines)
    record = json.loads(out[position + 1])
    mutate(record)
    out[position + 1] = json.dumps(record)
    return out


def test_editing_one_entry_is_named(platform_) -> None:
    _fill(platform_)
    lines = _export(platform_)

    def change(record: dict) -> None:
        entry = json.loads(record["entry"])
        entry["decision"] = "allow-forged"
        record["entry"] = json.dumps(entry, sort_keys=True, separators=(",", ":"))

    result = _verify(platform_, _edit(lines, 5, change))
    assert not result.ok and result.first_bad == 5
    assert any("entry 5 was altered" in p for p in result.problems)


def test_editing_an_entry_and_recomputing_its_hash_is_caught_by_its_signature(platform_) -> None:
    from civicdata.audit.merkle import leaf_hash

    _fill(platform_)
    lines = _export(platform_)

    def change(record: dict) -> None:
        entry = json.loads(record["entry"])
        entry["actor"] = "someone-else"
        record["entry"] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        record["leaf_hash"] = leaf_hash(record["entry"].encode()).hex()

    result = _verify(platform_, _edit(lines, 7, change))
    assert result.first_bad == 7
    assert any("entry 7 is not signed" in p for p in result.problems)


def test_deleting_one_entry_is_named(platform_) -> None:
    _fill(platform_)
    lines = _export(platform_)
    del lines[1 + 4]
    result = _verify(platform_, lines)
    assert result.first_bad == 4
    assert any("entry 4 is missing" in p for p in result.problems)


def test_swapping_two_entries_is_named(platform_) -> None:
    _fill(platform_)
    lines = _export(platform_)
    lines[1 + 3], lines[1 + 8] = lines[1 + 8], lines[1 + 3]
    result = _verify(platform_, lines)
    assert result.first_bad == 3
    assert any("out of order" in p or "missing" in p for p in result.problems)


def test_truncating_the_log_is_detected(platform_) -> None:
    _fill(platform_)
    lines = _export(platform_)
    truncated = [*lines[: 1 + 9], lines[-1]]
    result = _verify(platform_, truncated)
    assert not result.ok and result.first_bad == 9
    assert any("truncated" in p for p in result.problems)


def test_rolling_back_to_an_older_checkpoint_is_detected_with_a_kept_checkpoint(platform_) -> None:
    _fill(platform_, 5)
    old = _export(platform_)
    _fill(platform_, 5, start=5)
    newer = _export(platform_)
    kept = json.loads(newer[-1])["checkpoint"]
    # The attacker serves the old, smaller (but validly signed) log.
    result = _verify(platform_, old, since=kept)
    assert any("rolled back" in p for p in result.problems)
    assert _verify(platform_, newer, since=json.loads(old[-1])["checkpoint"]).ok


def test_a_forked_checkpoint_is_detected(platform_) -> None:
    _fill(platform_, 6)
    lines = _export(platform_)
    kept = json.loads(lines[-1])["checkpoint"]
    # A different history of the same size, signed by the platform key (e.g. a
    # compromised server rewriting the log): consistent-looking but a fork.
    with platform_.sessions() as session:
        allow_tampering(session)
        session.execute(update(AuditEvent).where(AuditEvent.id >= 0).values(actor="x"))
        session.execute(AuditCheckpoint.__table__.delete())
        session.commit()
    from civicdata.audit.checkpoints import Checkpoint, sign_checkpoint
    from civicdata.audit.merkle import leaf_hash, root_hash

    forked_leaves = [leaf_hash(f"forged {i}".encode()) for i in range(8)]
    fork_note = sign_checkpoint(
        Checkpoint(platform_.audit_origin, 8, root_hash(forked_leaves)),
        platform_.audit_origin,
        platform_.signing.current("audit").ed25519,
    )
    forged = [lines[0]]
    for i in range(8):
        entry = json.dumps({"index": i, "x": f"forged {i}"}, sort_keys=True, separators=(",", ":"))
        forged.append(json.dumps({"index": i, "entry": entry, "leaf_hash": "", "signature": ""}))
    forged.append(json.dumps({"checkpoint": fork_note}))
    result = _verify(platform_, forged, since=kept)
    assert any("fork" in p for p in result.problems)


def test_a_checkpoint_by_another_key_is_refused(platform_) -> None:
    _fill(platform_, 3)
    lines = _export(platform_)
    note = json.loads(lines[-1])["checkpoint"]
    with pytest.raises(CheckpointError):
        open_checkpoint(note, platform_.audit_origin, Ed25519PrivateKey.generate().public_key())
    stranger = _stranger_history(platform_)
    result = verify_export(lines, stranger)
    assert not result.ok and any("checkpoint" in p for p in result.problems)


def _stranger_history(platform_) -> KeyHistory:
    """The platform's history with every audit key replaced by a stranger's."""
    from civicdata.signing.history import PublishedKey
    from civicdata.signing.material import key_id, public_pem

    public = Ed25519PrivateKey.generate().public_key()
    keys = [k for k in platform_.signing.history().keys if k.use != "audit"]
    stranger = PublishedKey(
        key_id("audit", public), "audit", "Ed25519", public_pem(public), NOW, None
    )
    return KeyHistory.of([*keys, stranger])


def test_new_checkpoints_must_be_consistent_with_stored_ones(platform_) -> None:
    _fill(platform_, 4)
    _export(platform_)
    with platform_.sessions() as session:
        allow_tampering(session)
        session.execute(update(AuditEvent).where(AuditEvent.id == 1).values(leaf_hash=bytes(32)))
        session.commit()
    _fill(platform_, 2, start=4)
    with platform_.sessions() as session, pytest.raises(CheckpointError, match="rewritten"):
        make_checkpoint(session, platform_.signing.current("audit").ed25519, platform_.audit_origin)


def test_stored_proofs_verify_against_checkpoints(platform_) -> None:
    _fill(platform_, 9)
    with platform_.sessions() as session:
        first = make_checkpoint(
            session, platform_.signing.current("audit").ed25519, platform_.audit_origin
        )
        session.commit()
    _fill(platform_, 8, start=9)
    with platform_.sessions() as session:
        second = make_checkpoint(
            session, platform_.signing.current("audit").ed25519, platform_.audit_origin
        )
        session.commit()
        leaf = session.scalars(select(AuditEvent.leaf_hash).where(AuditEvent.id == 6)).one()
        inclusion = prove_inclusion(session, 6, second.size)
        consistency = prove_consistency(session, first.size, second.size)
    assert verify_inclusion(6, second.size, leaf, inclusion, second.root_hash)
    assert verify_consistency(
        first.size, second.size, first.root_hash, second.root_hash, consistency
    )


def test_cli_export_and_verify_name_the_bad_entry(platform_, config, tmp_path: Path) -> None:
    _fill(platform_)
    env = {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(config.instance_path),
        "CIVIC_KEYS_DIR": str(config.keys_dir),
        "CIVIC_KEYRING": str(config.keyring_path),
        "CIVIC_DATABASE_URL": config.database_url,
    }
    runner = CliRunner()
    out = tmp_path / "audit.jsonl"
    exported = runner.invoke(cli, ["audit", "export", "-o", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    ok = runner.invoke(cli, ["audit", "verify", "--export", str(out)], env=env)
    assert ok.exit_code == 0 and f"OK: {N} entries" in ok.output
    lines = out.read_text().splitlines()
    del lines[1 + 2]
    out.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(cli, ["audit", "verify", "--export", str(out)], env=env)
    assert bad.exit_code == 1
    assert "FAILED at entry 2" in bad.output
