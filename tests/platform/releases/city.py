"""A tiny city for release tests: citizens, trips and consents made the official way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from civicdata.citizens import create_citizen
from civicdata.city import sync_city
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.records import write_blocks
from civicdata.vault import CitizenCipher
from consent.receipts import ReceiptIssuer
from consent.records import give, withdraw

PURPOSE = "transport-planning"
TRIP = {"mode": "bus", "district": "Harbour", "month": "2025-03", "duration_min": 10.0}


def count_query(epsilon: str = "1", **extra: Any) -> dict[str, Any]:
    """Trips counted by district in one month, for the transport department."""
    return {
        "dataset": "trips",
        "purpose": PURPOSE,
        "measures": [{"kind": "count", "name": "trips"}],
        "group_by": ["district"],
        "filters": [{"field": "month", "in": ["2025-03"]}],
        "epsilon": epsilon,
        **extra,
    }


class TinyCity:
    """Citizens with data keys, trips written as encrypted blocks, consents given."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        sync_city(platform)  # notice versions (for consent) and the policy set in force
        self.ciphers: dict[str, CitizenCipher] = {}
        self.issuer = ReceiptIssuer(
            platform.signing.current("receipts").ed25519,
            platform.signing.current("receipts").kid,
            "Riverside",
            "dpo@city.example",
            "XX",
            "https://city.example",
        )

    def citizens(self, count: int) -> list[str]:
        with self.platform.sessions() as session:
            made = []
            for _ in range(count):
                citizen = create_citizen(
                    session, self.platform.vault, self.platform.keys.blind_index
                )
                self.ciphers[citizen.id] = self.platform.vault.cipher(session, citizen.id)
                made.append(citizen.id)
            session.commit()
        return made

    def trips(self, citizen_ids: Iterable[str], each: int = 1, **fields: Any) -> None:
        """``each`` identical trips (``TRIP`` overridden by ``fields``) for every citizen."""
        records = {cid: [{**TRIP, **fields}] * each for cid in citizen_ids}
        with self.platform.sessions() as session:
            write_blocks(session, self.ciphers, self.platform.catalog.datasets["trips"], records)
            session.commit()

    def consent(self, citizen_ids: Iterable[str], purpose: str = PURPOSE) -> None:
        self._change(give, citizen_ids, purpose)

    def withdraw(self, citizen_ids: Iterable[str], purpose: str = PURPOSE) -> None:
        self._change(withdraw, citizen_ids, purpose)

    def _change(self, change: Any, citizen_ids: Iterable[str], purpose: str) -> None:
        with self.platform.sessions() as session:
            for cid in citizen_ids:
                change(
                    session,
                    cid,
                    self.platform.purposes[purpose],
                    language="en",
                    method="portal",
                    now=utcnow(),
                    issuer=self.issuer,
                )
            session.commit()

    def populated(self, count: int, each: int = 1) -> list[str]:
        """``count`` consenting citizens with ``each`` trips."""
        ids = self.citizens(count)
        self.trips(ids, each)
        self.consent(ids)
        return ids
