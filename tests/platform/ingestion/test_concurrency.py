"""Two uploads of the same records at the same time: each record is stored once."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from civicdata.ingestion import NDJSON, ConcurrentUpload, Upload, ingest
from civicdata.ingestion.readers import BATCH_SIZE
from civicdata.models import Citizen, SourceRecord


class HeldBody(io.RawIOBase):
    """A body whose second half is only readable once ``release`` is set."""

    def __init__(self, data: bytes, release: threading.Event) -> None:
        self._first = io.BytesIO(data[: len(data) // 2])
        self._rest = io.BytesIO(data[len(data) // 2 :])
        self._release = release

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._first.readinto(buffer)
        if count:
            return count
        if not self._release.wait(timeout=60):
            raise TimeoutError("the test never released the body")
        return self._rest.readinto(buffer)


def body(records: int) -> bytes:
    return "".join(
        json.dumps(
            {
                "source_id": f"r-{i}",
                "travel_card": f"TC-race-{i % 40}",
                "mode": "metro",
                "district": "Riverside",
                "month": "2025-05",
                "duration_min": 7,
            }
        )
        + "\n"
        for i in range(records)
    ).encode()


@pytest.mark.parametrize("same_key", [True, False], ids=["same-key", "other-key"])
def test_concurrent_uploads_of_the_same_records_store_them_once(platform_, same_key) -> None:
    data = body(3 * BATCH_SIZE)
    spec = platform_.catalog.datasets["trips"]
    first = Upload("src", "client:src", spec, NDJSON, "strict", "nightly")
    second = Upload("src", "client:src", spec, NDJSON, "strict", "nightly" if same_key else "retry")
    release, started = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def run(name: str, upload: Upload, stream: Any, progress: Any = None) -> None:
        try:
            results[name] = ingest(platform_, upload, stream, progress=progress)
        except Exception as exc:
            results[name] = exc

    holder = threading.Thread(
        target=run,
        args=("first", first, HeldBody(data, release), lambda _read: started.set()),
    )
    holder.start()
    assert started.wait(timeout=60)  # the first upload holds uncommitted writes
    racer = threading.Thread(target=run, args=("second", second, io.BytesIO(data)))
    racer.start()
    time.sleep(1.0)  # let the second upload run into the first one's writes
    release.set()
    holder.join(timeout=120)
    racer.join(timeout=120)

    assert results["first"].status == 201
    if same_key:
        assert results["second"] == results["first"]
    else:
        assert isinstance(results["second"], ConcurrentUpload)
        retried = json.loads(ingest(platform_, second, io.BytesIO(data)).body)
        assert (retried["stored"], retried["duplicates"]) == (0, 3 * BATCH_SIZE)
    with platform_.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SourceRecord)) == 3 * BATCH_SIZE
        assert session.scalar(select(func.count()).select_from(Citizen)) == 40
