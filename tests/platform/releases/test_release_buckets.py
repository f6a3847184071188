"""A release reads and decrypts only the time buckets its filters touch."""

from __future__ import annotations

from typing import Any

import pytest

from civicdata.records import store
from civicdata.releases.service import ReleaseService
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.conftest import TRANSPORT


def test_a_one_month_release_decrypts_only_that_months_blocks(
    city: TinyCity, service: ReleaseService, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = city.populated(4)  # one March trip each
    for month in ("2025-01", "2025-02", "2025-04"):
        city.trips(ids, month=month)
    opened: list[bytes] = []
    real = store.open_with

    def counted(aead: Any, ciphertext: bytes, ad: bytes) -> bytes:
        opened.append(ad)
        return real(aead, ciphertext, ad)

    monkeypatch.setattr(store, "open_with", counted)
    service.request(TRANSPORT, count_query())  # March only
    assert len(opened) == len(ids)
    opened.clear()
    two_months = count_query(filters=[{"field": "month", "between": ["2025-02", "2025-03"]}])
    service.request(TRANSPORT, two_months)
    assert len(opened) == 2 * len(ids)
