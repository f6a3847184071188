"""The citizen's dashboard: every purpose in plain words, with where they stand.

One row per declared purpose, in the chosen language: title and notice text,
the department using the data, the datasets covered, the state (``none``,
``given``, ``needs_review``, ``withdrawn``, ``expired``), the notice version
consented to against the one in force, and until when the consent is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicdata.context import Platform
from civicdata.db import utcnow
from consent.status import states


@dataclass(frozen=True)
class PurposeView:
    """One purpose as a citizen sees it."""

    id: str
    title: str
    text: str
    controller: str
    datasets: tuple[str, ...]
    legal_basis: str
    state: str
    active: bool
    reconsent_required: bool
    given_version: int | None
    current_version: int | None
    valid_until: datetime | None

    @property
    def can_withdraw(self) -> bool:
        """A grant stands (even expired or outdated), so there is something to withdraw."""
        return self.state in ("given", "needs_review", "expired")


def consent_overview(
    platform: Platform, session: Session, citizen_id: str, language: str
) -> list[PurposeView]:
    """Every purpose with the citizen's consent state, in ``language`` (three queries)."""
    now = utcnow()
    found = states(session, citizen_id, platform.purposes, now)
    departments = platform.catalog.departments
    views = []
    for pid, purpose in platform.purposes.items():
        state = found[pid]
        notice = purpose.notice[language]
        department = departments.get(purpose.controller)
        views.append(
            PurposeView(
                id=pid,
                title=notice.title,
                text=notice.text,
                controller=department.name if department else purpose.controller,
                datasets=purpose.datasets,
                legal_basis=purpose.legal_basis,
                state=state.state,
                active=state.active,
                reconsent_required=state.reconsent_required,
                given_version=state.given_version,
                current_version=state.current_version,
                valid_until=state.valid_until,
            )
        )
    return views
