"""Release jobs: a release request being computed, visible to every API process.

One row per release that was reserved through :mod:`civicdata.releases.jobs`,
created in the reservation's own transaction, so a reservation made there
never exists without its job. ``state`` moves ``queued`` -> ``running`` ->
``done`` (with ``release_id``, in the transaction that publishes the release)
or ``failed`` (with ``error``), each step a conditional ``UPDATE`` that only
one process can win. ``executor`` names the process computing the job and
``heartbeat_at`` is when it last said it was alive: a ``queued`` or
``running`` job whose heartbeat is older than ``CIVIC_JOB_STALE_SECONDS`` is
failed by whichever process notices (its reservation stays charged).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow

JOB_STATES = ("queued", "running", "done", "failed")
ACTIVE_STATES = ("queued", "running")


class ReleaseJob(Base):
    """A release being computed for a department, and how it ended."""

    __tablename__ = "release_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        Index("ix_release_jobs_state_heartbeat", "state", "heartbeat_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("budget_reservations.id"), unique=True)
    department: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(160))
    state: Mapped[str] = mapped_column(String(10))
    executor: Mapped[str] = mapped_column(String(160))
    heartbeat_at: Mapped[datetime]
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text, default="")  # the policy's, for the result
    release_id: Mapped[str | None] = mapped_column(ForeignKey("releases.id"))
    error: Mapped[str | None] = mapped_column(Text)  # JSON: status, title, detail, charged
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
