"""Fixtures of the consent tests: an engine per backend, purposes, an issuer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from civicdata.db import make_engine
from consent.purposes import Purpose, load_purposes
from consent.receipts import ReceiptIssuer


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    built = make_engine(db_url)
    yield built
    built.dispose()


@pytest.fixture
def purposes() -> dict[str, Purpose]:
    return load_purposes()


@pytest.fixture
def issuer() -> ReceiptIssuer:
    return ReceiptIssuer(
        signing_key=Ed25519PrivateKey.generate(),
        key_id="receipts-test",
        controller="City of Exampleville",
        contact="dpo@city.example",
        jurisdiction="ES-CT",
        policy_url="https://city.example/purposes",
    )
