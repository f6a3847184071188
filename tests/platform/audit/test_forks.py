"""A rewritten history, validly hashed and signed, is located at its first differing entry."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import update

from civicdata.audit import record_event
from civicdata.audit.checkpoints import Checkpoint
from civicdata.audit.columns import columns_of
from civicdata.audit.export import export_lines
from civicdata.audit.forks import first_difference, locate_fork
from civicdata.audit.log import canonical_json, entry_signing_input
from civicdata.audit.merkle import leaf_hash, root_hash
from civicdata.audit.queries import verify_live_log
from civicdata.audit.tree import make_checkpoint
from civicdata.audit.verify import verify_export
from civicdata.cli import cli
from civicdata.models import AuditCheckpoint, AuditEvent
from tests.support.cli import cli_env
from tests.support.tamper import allow_tampering


def _append(platform, n: int, *, checkpoint_each: bool = False) -> None:
    for i in range(n):
        with platform.sessions() as session:
            record_event(session, actor="client:a", action="release.request", dataset="trips", n=i)
            session.commit()
        if checkpoint_each or i == n - 1:
            with platform.sessions() as session:
                make_checkpoint(
                    session, platform.signing.current("audit").ed25519, platform.audit_origin
                )
                session.commit()


def _export(platform) -> list[str]:
    with platform.sessions() as session:
        return list(export_lines(session, platform.audit_origin))


def _rewrite_from(platform, start: int) -> None:
    """What a compromised server could do: re-sign edited entries and drop later checkpoints."""
    with platform.sessions() as session:
        allow_tampering(session)
        events = session.query(AuditEvent).filter(AuditEvent.id >= start).all()
        for event in events:
            document = json.loads(event.entry)
            document["actor"] = "client:innocent"
            text = canonical_json(document)
            leaf = leaf_hash(text)
            session.execute(
                update(AuditEvent)
                .where(AuditEvent.id == event.id)
                .values(
                    entry=text.decode(),
                    leaf_hash=leaf,
                    signature=platform.signing.current("audit").ed25519.sign(
                        entry_signing_input(event.id, leaf)
                    ),
                    **columns_of(text.decode()),
                )
            )
        session.execute(AuditCheckpoint.__table__.delete().where(AuditCheckpoint.size > start))
        session.commit()
    with platform.sessions() as session:
        make_checkpoint(session, platform.signing.current("audit").ed25519, platform.audit_origin)
        session.commit()


def test_a_kept_export_locates_the_first_rewritten_entry(platform_) -> None:
    _append(platform_, 9)
    kept = _export(platform_)
    _rewrite_from(platform_, 5)
    _append(platform_, 2)
    rewritten = _export(platform_)
    history = platform_.signing.history()
    assert verify_export(rewritten, history).ok  # valid on its own: hashes and signatures hold
    only_note = verify_export(rewritten, history, json.loads(kept[-1])["checkpoint"])
    assert any("fork" in p for p in only_note.problems)
    located = verify_export(rewritten, history, "\n".join(kept))
    assert located.first_bad == 5
    assert any("fork: entry 5 differs" in p for p in located.problems), located.problems
    assert verify_export(kept, history, "\n".join(kept)).ok


def test_civic_audit_verify_names_the_fork_with_a_kept_export(platform_, config, tmp_path) -> None:
    _append(platform_, 7)
    kept = tmp_path / "kept.jsonl"
    kept.write_text("\n".join(_export(platform_)) + "\n")
    runner = CliRunner()
    env = cli_env(config)
    honest = runner.invoke(cli, ["audit", "verify", "--since-checkpoint", str(kept)], env=env)
    assert honest.exit_code == 0, honest.output
    _rewrite_from(platform_, 2)
    forked = runner.invoke(cli, ["audit", "verify", "--since-checkpoint", str(kept)], env=env)
    assert forked.exit_code == 1
    assert "FAILED at entry 2" in forked.output and "fork: entry 2 differs" in forked.output


def test_live_verification_bisects_the_stored_checkpoints(platform_) -> None:
    _append(platform_, 8, checkpoint_each=True)
    with platform_.sessions() as session:  # rewrite entry 6 only, keep every checkpoint
        allow_tampering(session)
        event = session.get(AuditEvent, 6)
        text = event.entry.replace('"n":6', '"n":60').encode()
        leaf = leaf_hash(text)
        event.entry, event.leaf_hash = text.decode(), leaf
        event.signature = platform_.signing.current("audit").ed25519.sign(
            entry_signing_input(6, leaf)
        )
        event.details = columns_of(text.decode())["details"]
        session.commit()
    with platform_.sessions() as session:
        live = verify_live_log(session, platform_.signing, platform_.audit_origin)
    assert live.result.first_bad == 6
    assert any("fork: entry 6 differs" in p for p in live.result.problems), live.result.problems


def test_bisection_over_checkpoints_bounds_the_first_difference() -> None:
    honest = [leaf_hash(bytes([i])) for i in range(20)]
    forked = [*honest[:11], *(leaf_hash(b"x" + bytes([i])) for i in range(11, 20))]
    kept = [Checkpoint("o", size, root_hash(honest[:size])) for size in (3, 8, 12, 16, 20)]
    fork = locate_fork(forked, kept)
    assert (fork.first, fork.below, fork.exact) == (8, 12, False)
    assert "between 8 and 11" in fork.describe()
    every = [Checkpoint("o", size, root_hash(honest[:size])) for size in range(1, 21)]
    assert locate_fork(forked, every).first == 11 and locate_fork(forked, every).exact
    assert locate_fork(honest, every) is None
    assert first_difference(honest, forked) == 11
    assert first_difference(honest[:5], forked) is None
