"""One log line and the matching metrics for each operation an operator watches.

Releases, denials, uploads and key operations are reported here, by the code
that hands their outcome to the caller (after it was committed), with names
and amounts only: dataset, release or upload id, epsilon, counts of an upload.
Never a citizen, a record, an email or a secret.
"""

from __future__ import annotations

from decimal import Decimal

from civicdata import metrics
from civicdata.logs import get_logger

log = get_logger(__name__)


def release_served(dataset: str, release_id: str, epsilon: Decimal, from_store: bool) -> None:
    """A release was handed to a department; ``epsilon`` is what this request was charged."""
    metrics.RELEASES.labels(dataset, str(from_store).lower()).inc()
    metrics.EPSILON.labels(dataset).inc(float(epsilon))
    log.info(
        "release",
        dataset=dataset,
        release=release_id,
        epsilon=format(epsilon.normalize(), "f"),
        served_from_store=from_store,
    )


def release_denied(dataset: str, policy_id: str | None) -> None:
    """The policy set denied a release request (the explanation went to the caller)."""
    metrics.DENIALS.labels(dataset).inc()
    log.info("release.denied", dataset=dataset, policy=policy_id)


def ingestion_finished(
    dataset: str, ingestion_id: str, status: str, *, stored: int, duplicates: int, rejected: int
) -> None:
    """A data source's upload was concluded (and committed)."""
    metrics.INGESTIONS.labels(dataset, status).inc()
    for fate, count in (("stored", stored), ("duplicate", duplicates), ("rejected", rejected)):
        metrics.INGESTED.labels(dataset, fate).inc(count)
    log.info(
        "ingestion",
        dataset=dataset,
        ingestion=ingestion_id,
        status=status,
        stored=stored,
        duplicates=duplicates,
        rejected=rejected,
    )


def key_operation(operation: str, **details: str | int) -> None:
    """An operator changed the master keys (rotation, re-wrapping, retirement)."""
    log.info("keys." + operation, **details)
