"""Resolving the citizens that records name by an external reference.

A record names its citizen by the dataset's ``subject_reference`` kind (a
travel-card number, a meter id), looked up through the keyed blind index.
Where the catalog allows unregistered subjects, an unknown reference creates a
citizen who has no account yet (with a data key of their own, like everyone)
and can claim the data later; elsewhere it is an error of that record.

References resolved once are remembered for the rest of the upload, so a
million records of a hundred thousand citizens cost a hundred thousand
digests and look-ups, in batches.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session

from civicdata.demo.enrolment import NewCitizen, enrol_citizens
from civicdata.ingestion.bulk_sql import select_where_in
from civicdata.models import CitizenLookup
from civicdata.vault import Vault
from civicdata.vault.blind_index import BlindIndex
from policies.catalog import DatasetSpec

CACHE_LIMIT = 1_000_000

_lookups: Table = CitizenLookup.__table__


class SubjectResolver:
    """External references of one dataset -> citizen pseudonyms, within one upload."""

    def __init__(self, session: Session, vault: Vault, index: BlindIndex, spec: DatasetSpec):
        self._session = session
        self._vault = vault
        self._index = index
        self.kind = spec.subject_reference
        self.may_create = spec.allow_unregistered_subjects
        self._known: dict[str, str] = {}
        self.created = 0

    def resolve(self, references: Sequence[str]) -> list[str | None]:
        """The citizen of each reference (``None``: unknown and not creatable)."""
        normalise, kind = self._index.normalise, self.kind
        keys = [normalise(kind, reference) for reference in references]
        if len(self._known) > CACHE_LIMIT:
            self._known.clear()
        missing = list(dict.fromkeys(k for k in keys if k not in self._known))
        if missing:
            self._look_up(missing)
            unknown = [k for k in missing if k not in self._known]
            if unknown and self.may_create:
                self._create(unknown)
        known = self._known
        return [known.get(k) for k in keys]

    def _look_up(self, keys: list[str]) -> None:
        digest, kind = self._index.digest, self.kind
        by_digest = {digest(kind, k): k for k in keys}
        connection = self._session.connection()
        found = select_where_in(
            connection, _lookups, "digest", list(by_digest), ["digest", "citizen_id"]
        )
        for value, citizen_id in found:
            self._known[by_digest[bytes(value)]] = citizen_id

    def _create(self, keys: list[str]) -> None:
        people = [NewCitizen(references={self.kind: k}) for k in keys]
        ciphers = enrol_citizens(self._session, self._vault, self._index, people)
        for key, citizen_id in zip(keys, ciphers, strict=True):
            self._known[key] = citizen_id
        self.created += len(keys)
