"""The ledger never overspends, with 50 concurrent requests from several processes."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from civicdata.config import Config
from civicdata.context import Platform
from civicdata.models import BudgetReservation, StoredRelease
from tests.platform.releases.city import TinyCity
from tests.platform.releases.concurrent_requests import request_many

PROCESSES = 5
REQUESTS_EACH = 10
EPSILON = "0.3"  # the transport grant has 4.0 per 30 days: 13 releases fit


@pytest.mark.slow
def test_fifty_concurrent_requests_from_five_processes_never_overspend(
    config: Config, platform_: Platform
) -> None:
    TinyCity(platform_).populated(3)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=request_many, args=(config, start, results, REQUESTS_EACH, EPSILON))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [o for _ in workers for o in results.get(timeout=300)]
    for worker in workers:
        worker.join(timeout=60)

    budget = platform_.policy_set.get("transport-trips").budget.epsilon  # type: ignore[union-attr]
    assert len(outcomes) == PROCESSES * REQUESTS_EACH
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("released") == int(budget // Decimal(EPSILON)) == 13
    assert set(outcomes) == {"released", "grant_budget_exhausted"}
    with platform_.sessions() as session:
        spent = session.scalar(
            select(func.sum(BudgetReservation.epsilon_units)).where(
                BudgetReservation.state != "released"
            )
        )
        releases = session.scalar(select(func.count()).select_from(StoredRelease))
    assert spent is not None and spent <= budget * 1_000_000
    assert spent == 13 * 300_000 and releases == 13
