"""Invariant 6: personal data is encrypted at rest.

A citizen's name, email and external reference, once stored, appear nowhere in
the database in clear: not in any column of any table, and (on SQLite) not in
the database file or its write-ahead log.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from civicdata.citizens import create_citizen
from civicdata.tables import all_metadata

MARKERS = ("zebulon.uniquename@example.org", "Zebulon Uniquename", "TC-UNIQUE-777")


def _everything_stored(platform) -> str:
    chunks: list[str] = []
    with platform.engine.connect() as conn:
        for metadata in all_metadata():
            for table in metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            chunks.append(bytes(value).decode("latin-1"))
                        else:
                            chunks.append(str(value))
    return "\n".join(chunks)


def test_identity_and_references_never_stored_in_clear(platform_) -> None:
    with platform_.sessions() as session:
        citizen = create_citizen(
            session,
            platform_.vault,
            platform_.keys.blind_index,
            email=MARKERS[0],
            name=MARKERS[1],
            references={"travel_card": MARKERS[2]},
        )
        session.commit()
        cid = citizen.id
    stored = _everything_stored(platform_)
    assert cid in stored  # the scan does see the citizen's rows...
    for marker in MARKERS:  # ...but none of their personal data
        assert marker.lower() not in stored.lower()
    url = make_url(platform_.config.database_url)
    if url.get_backend_name() == "sqlite":
        platform_.engine.dispose()
        for suffix in ("", "-wal"):
            path = Path(f"{url.database}{suffix}")
            if path.exists():
                raw = path.read_bytes()
                for marker in MARKERS:
                    assert marker.encode() not in raw


def test_the_scan_would_notice_clear_text(platform_) -> None:
    """The check above can fail: a value stored in clear is found."""
    from civicdata.audit import record_event

    with platform_.sessions() as session:
        record_event(session, actor="test", action="probe", note=MARKERS[2])
        session.commit()
    assert MARKERS[2] in _everything_stored(platform_)
