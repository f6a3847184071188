"""A source's own uploads: listing them and reading one (never another client's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.models import Ingestion


def uploads_of(
    session: Session, client_id: str, *, dataset: str | None = None, limit: int = 50
) -> list[Ingestion]:
    """The client's uploads, newest first."""
    query = select(Ingestion).where(Ingestion.client_id == client_id)
    if dataset is not None:
        query = query.where(Ingestion.dataset == dataset)
    query = query.order_by(Ingestion.created_at.desc(), Ingestion.id).limit(limit)
    return list(session.scalars(query))


def upload_of(session: Session, client_id: str, ingestion_id: str) -> Ingestion | None:
    """One upload, if it is the client's own (another client's is as good as absent)."""
    found = session.get(Ingestion, ingestion_id)
    return found if found is not None and found.client_id == client_id else None
