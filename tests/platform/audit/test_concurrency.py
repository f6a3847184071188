"""Appends from several processes at once leave a gapless, fork-free, verifiable log."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from civicdata.audit.export import export_lines
from civicdata.audit.tree import make_checkpoint
from civicdata.audit.verify import verify_export
from civicdata.models import AuditEvent

WORKERS = 8
APPENDS = 200
ROLLBACK_EVERY = 7


def _append_many(config, worker: int, start) -> int:  # runs in a child process
    from civicdata.audit import record_event
    from civicdata.context import Platform

    platform = Platform.build(config)
    start.wait()
    kept = 0
    for i in range(APPENDS):
        with platform.sessions() as session:
            record_event(session, actor=f"worker:{worker}", action="append", n=i)
            if i % ROLLBACK_EVERY == 0:
                session.rollback()
            else:
                session.commit()
                kept += 1
    platform.engine.dispose()
    return kept


@pytest.mark.slow
def test_concurrent_appends_from_many_processes(platform_, config) -> None:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(WORKERS)
        with ctx.Pool(WORKERS) as pool:
            kept = pool.starmap(_append_many, [(config, w, start) for w in range(WORKERS)])
    expected = sum(kept)
    assert expected == WORKERS * (APPENDS - len(range(0, APPENDS, ROLLBACK_EVERY)))
    with platform_.sessions() as session:
        ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        per_worker = dict(
            session.execute(select(AuditEvent.actor, func.count()).group_by(AuditEvent.actor)).all()
        )
        make_checkpoint(session, platform_.signing.current("audit").ed25519, platform_.audit_origin)
        session.commit()
        result = verify_export(
            list(export_lines(session, platform_.audit_origin)), platform_.signing.history()
        )
    assert ids == list(range(expected))  # gapless, no duplicates
    assert per_worker == {f"worker:{w}": kept[w] for w in range(WORKERS)}
    assert result.ok, result.problems
