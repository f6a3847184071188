"""The release flow: parse, decide, reserve, read consenting records, release, sign, log.

:meth:`ReleaseService.request` runs these steps, each in its own transaction:

1. parse the query against the catalog (target accuracy -> epsilon first);
2. unless ``fresh``, serve the stored release of the same normalised query,
   policy and policy set in the current budget window, at zero cost;
3. reserve: lock the budget rows, evaluate the policy on the balances, insert
   a ``reserved`` row and the audit entries, commit (a denial is committed and
   audited too, then raised as :class:`~civicdata.releases.errors.Denied`);
4. read the citizens whose consent is active now (one query), then run the
   engine with the reserved epsilon and the policy's bounds: its shard tasks
   (:mod:`~civicdata.releases.executors`, in process, on local worker
   processes or on Dask) read, decrypt, bound and aggregate only those
   citizens' records in the time buckets the query needs, and it draws the
   noise on the totals, reporting ``progress(done, total)`` per shard task;
5. store and sign the release (with the instant its consents were checked), mark the reservation
   spent and audit the spend, all in one transaction, before returning; when the
   policy is ``public``, its signed public statement is stored (and audited) in
   that same transaction (:mod:`civicdata.releases.publication`).

A failure after the engine started leaves the reservation spent; a failure
before it releases the reservation. Audit entries carry department, dataset,
purpose, policy, policy-set hash and epsilon, never a count.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from anonymise.canonical import query_hash
from anonymise.partials import Progress
from anonymise.planning import UnreachableAccuracy, epsilon_for_accuracy
from anonymise.query import Query, QuerySchema
from anonymise.release import release as run_release
from anonymise.result import Release
from civicdata.audit import record_event
from civicdata.audit.log import iso_utc
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import StoredRelease
from civicdata.records.buckets import query_buckets
from civicdata.records.queries import resolve_citizens
from civicdata.releases import ledger, publication, signing
from civicdata.releases.errors import Denied, InvalidQuery, ReleaseNotComputed
from civicdata.releases.executors import ShardedRecords, executor_for
from civicdata.releases.policy_request import bounds_for, candidates, decide, likely_policy
from civicdata.releases.store import (
    Published,
    find_reusable,
    new_release_id,
)
from consent.eligibility import eligible_subjects
from policies.budget import DELTA_UNIT, ZERO, Cost, text
from policies.evaluate import Decision
from policies.model import Policy

Engine = Callable[..., Release]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks: their department and their audit actor (``client:<id>`` or an account id)."""

    department: str
    actor: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """A validated query, the epsilon it would spend and whether that came from a target."""

    query: Query
    epsilon: Decimal
    from_target: bool
    fresh: bool
    query_hash: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """A release handed to a department, and what it cost this time."""

    release: Published
    served_from_store: bool
    charged: Cost
    decision: Decision


class ReleaseService:
    """Releases of one platform; ``engine`` is the DP engine (a seam for failure tests)."""

    def __init__(self, platform: Platform, engine: Engine = run_release) -> None:
        self.platform = platform
        self.engine = engine

    # -- parsing ---------------------------------------------------------------

    def parse(self, department: str, payload: Any) -> Parsed:
        """Validate a request body; :class:`InvalidQuery` names every field at fault."""
        if not isinstance(payload, dict):
            raise InvalidQuery({"body": ["send the query as a JSON object"]})
        payload = dict(payload)
        fresh = payload.pop("fresh", False)
        errors: dict[str, object] = {}
        if not isinstance(fresh, bool):
            errors["fresh"] = ["must be true or false"]
        catalog = self.platform.catalog
        try:
            query: Query = QuerySchema(catalog=catalog).load(payload)
        except ValidationError as exc:
            raise InvalidQuery({**errors, **_messages(exc)}) from None
        if errors:
            raise InvalidQuery(errors)
        if query.delta is not None and query.delta % DELTA_UNIT:
            raise InvalidQuery({"delta": ["must be a multiple of 1e-15"]})
        epsilon = query.epsilon
        if epsilon is None:
            policy = likely_policy(self.candidates(department, query), query.purpose)
            bounds = bounds_for(policy, catalog.datasets[query.dataset])
            try:
                epsilon = epsilon_for_accuracy(query, None, catalog, bounds)
            except UnreachableAccuracy as exc:
                raise InvalidQuery({"measures": [f"target_half_width: {exc}"]}) from None
        return Parsed(query, epsilon, query.epsilon is None, fresh, query_hash(query))

    def candidates(self, department: str, query: Query) -> tuple[Policy, ...]:
        """The department's policies on the query's dataset."""
        return candidates(self.platform.policy_set, department, query.dataset)

    # -- the flow --------------------------------------------------------------

    def request(
        self, requester: Requester, payload: Any, *, progress: Progress | None = None
    ) -> Outcome:
        """Release the query in ``payload`` for ``requester`` (see the module docstring).

        ``progress(done, total)`` is called as the engine's shard tasks finish.
        """
        parsed = self.parse(requester.department, payload)
        if not parsed.fresh:
            stored = self._serve_stored(requester, parsed)
            if stored is not None:
                return stored
        reservation, decision = self._reserve(requester, parsed)
        assert decision.policy is not None  # allowed
        published, charged = self._release(
            requester, parsed, decision.policy, reservation, progress
        )
        return Outcome(published, False, charged, decision)

    def _audit_details(self, parsed: Parsed, requester: Requester) -> dict[str, Any]:
        return {
            "department": requester.department,
            "dataset": parsed.query.dataset,
            "purpose": parsed.query.purpose,
            "query_hash": parsed.query_hash,
            "policy_set_hash": self.platform.policy_set.content_hash,
        }

    def _serve_stored(self, requester: Requester, parsed: Parsed) -> Outcome | None:
        """The stored release of this query in the budget window, re-served at zero cost."""
        policy_set = self.platform.policy_set
        policies = self.candidates(requester.department, parsed.query)
        with self.platform.sessions() as session:
            now = utcnow()
            for policy in policies:
                row = find_reusable(
                    session,
                    parsed.query_hash,
                    policy.id,
                    policy_set.content_hash,
                    policy.period.window(now),
                )
                if row is None:
                    continue
                decision = decide(
                    session,
                    policy_set,
                    parsed.query,
                    requester.department,
                    requester.actor,
                    ZERO,
                    now,
                ).decision
                if not decision.allowed or decision.policy_id != row.policy_id:
                    return None  # decided again, with a real cost, by the normal path
                record_event(
                    session,
                    actor=requester.actor,
                    action="release.served",
                    resource=row.id,
                    decision="allowed",
                    note="served from store",
                    policy_id=policy.id,
                    epsilon="0",
                    **self._audit_details(parsed, requester),
                )
                session.commit()
                return Outcome(Published.of(row), True, Cost(ZERO), decision)
        return None

    def _reserve(self, requester: Requester, parsed: Parsed) -> tuple[str, Decision]:
        """Decide on locked balances; reserve and commit, or audit the denial and raise."""
        policy_set = self.platform.policy_set
        query = parsed.query
        policies = self.candidates(requester.department, query)
        accounts = [ledger.grant_account(p.id) for p in policies]
        with self.platform.sessions() as session:
            ledger.lock_accounts(session, [*accounts, ledger.dataset_account(query.dataset)])
            now = utcnow()
            judged = decide(
                session,
                policy_set,
                query,
                requester.department,
                requester.actor,
                parsed.epsilon,
                now,
            )
            decision = judged.decision
            details = {
                **self._audit_details(parsed, requester),
                "epsilon": text(parsed.epsilon),
                "delta": text(query.delta or ZERO),
                "fresh": parsed.fresh,
            }
            record_event(
                session,
                actor=requester.actor,
                action="release.request",
                resource="releases",
                **details,
            )
            if not decision.allowed or decision.policy is None:
                assert decision.failure is not None
                record_event(
                    session,
                    actor=requester.actor,
                    action="release.decision",
                    resource="releases",
                    decision="denied",
                    policy_id=decision.policy_id,
                    failure=decision.failure.code,
                    clause=decision.failure.clause,
                    **details,
                )
                session.commit()
                raise Denied(decision)
            reservation = ledger.new_reservation(
                session,
                policy=decision.policy,
                cost=judged.request.cost,
                requester=requester.actor,
                policy_set_hash=policy_set.content_hash,
                query_hash=parsed.query_hash,
                now=now,
            )
            record_event(
                session,
                actor=requester.actor,
                action="release.decision",
                resource=reservation.id,
                decision="allowed",
                policy_id=decision.policy.id,
                **details,
            )
            session.commit()
            return reservation.id, decision

    def _release(
        self,
        requester: Requester,
        parsed: Parsed,
        policy: Policy,
        reservation_id: str,
        progress: Progress | None,
    ) -> tuple[Published, Cost]:
        """Read, run, store, sign and settle; on failure charge or give back the budget."""
        catalog, platform = self.platform.catalog, self.platform
        dataset = catalog.datasets[parsed.query.dataset]
        engine_started = False
        try:
            with platform.sessions() as session:
                consent_at = utcnow()
                eligible = frozenset(
                    resolve_citizens(
                        session.connection(), eligible_subjects(parsed.query.purpose, consent_at)
                    )
                )
                session.rollback()  # end the read before writing (SQLite: no stale snapshot)
                platform.vault.check_unwrap()  # a node without a master key: 503, not charged
                records = ShardedRecords(
                    executor_for(platform), eligible, query_buckets(dataset, parsed.query.filters)
                )
                engine_started = True
                result = self.engine(
                    parsed.query,
                    records,
                    catalog,
                    parsed.epsilon,
                    bounds=bounds_for(policy, dataset),
                    progress=progress,
                )
                return self._publish(
                    session, requester, parsed, policy, reservation_id, result, consent_at
                )
        except Exception as exc:
            log.exception("release %s failed (charged: %s)", reservation_id, engine_started)
            self._settle_failure(requester, parsed, policy, reservation_id, engine_started)
            raise ReleaseNotComputed(charged=engine_started) from exc

    def _publish(
        self,
        session: Session,
        requester: Requester,
        parsed: Parsed,
        policy: Policy,
        reservation_id: str,
        result: Release,
        consent_at: datetime,
    ) -> tuple[Published, Cost]:
        created = utcnow()
        release_id = new_release_id()
        document = {
            "id": release_id,
            "created_at": iso_utc(created),
            "consent_checked_at": iso_utc(consent_at),
            "department": requester.department,
            "requested_by": requester.actor,
            "policy_id": policy.id,
            "policy_set_hash": self.platform.policy_set.content_hash,
            **result.as_dict(),
        }
        canonical = signing.canonical_text(document)
        document = json.loads(canonical)  # what is returned is exactly what is stored
        signer = self.platform.signing.current(signing.USE)
        signature = signing.sign(document, signer)
        key_id = signer.kid
        cost = Cost(result.epsilon, parsed.query.delta or ZERO)
        epsilon_units, delta_units = ledger.cost_units(cost)
        session.add(
            StoredRelease(
                id=release_id,
                department=requester.department,
                requester=requester.actor,
                policy_id=policy.id,
                policy_set_hash=document["policy_set_hash"],
                dataset=parsed.query.dataset,
                purpose=parsed.query.purpose,
                query_hash=parsed.query_hash,
                mechanism=result.mechanism,
                epsilon_units=epsilon_units,
                delta_units=delta_units,
                reservation_id=reservation_id,
                document=canonical,
                signature=signature,
                key_id=key_id,
                consent_checked_at=consent_at,
                created_at=created,
            )
        )
        session.flush()  # the first write: takes SQLite's write lock, the row for the FK
        ledger.settle(session, reservation_id, "spent", created, cost=cost, release_id=release_id)
        if policy.public:  # as the policy stood when the release was made
            publication.publish(session, document, signer, created)
        record_event(
            session,
            actor=requester.actor,
            action="release.spend",
            resource=release_id,
            policy_id=policy.id,
            reservation=reservation_id,
            epsilon=text(cost.epsilon),
            delta=text(cost.delta),
            mechanism=result.mechanism,
            **self._audit_details(parsed, requester),
        )
        if policy.public:
            record_event(
                session,
                actor=requester.actor,
                action="release.publish",
                resource=release_id,
                policy_id=policy.id,
                **self._audit_details(parsed, requester),
            )
        session.commit()
        return Published(release_id, document, signature, key_id, requester.department), cost

    def _settle_failure(
        self,
        requester: Requester,
        parsed: Parsed,
        policy: Policy,
        reservation_id: str,
        charged: bool,
    ) -> None:
        with self.platform.sessions() as session:
            ledger.settle(session, reservation_id, "spent" if charged else "released", utcnow())
            record_event(
                session,
                actor=requester.actor,
                action="release.failed",
                resource=reservation_id,
                decision="error",
                policy_id=policy.id,
                charged=charged,
                epsilon=text(parsed.epsilon) if charged else "0",
                **self._audit_details(parsed, requester),
            )
            session.commit()


def _messages(exc: ValidationError) -> dict[str, object]:
    messages = exc.messages
    return messages if isinstance(messages, dict) else {"body": messages}
