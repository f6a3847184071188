"""Fresh PostgreSQL planner statistics after a bulk load, in the loading transaction.

PostgreSQL plans from statistics that only ``ANALYZE`` (or autovacuum, some
time later, if it is on at all) refreshes. Right after a large upload through
the API it may still believe a table holds a handful of rows, and pick plans
that are quadratic in the real size (a release took 371 s instead of 2.5 s at
100,000 citizens). So the bulk paths (:mod:`consent.bulk`, the ingestion
service) call :func:`refresh_after_load` with the rows they added: each table
that grew by at least :data:`MIN_ROWS` rows and by more than
:data:`GROWTH` of the rows it held at its last analysis is analysed, in the
caller's transaction (``ANALYZE`` samples the transaction's own new rows, and
its statistics commit or roll back with them). Smaller loads are left to
autovacuum. On SQLite it does nothing: its planner keeps no such statistics
unless asked, and its plans do not depend on them here.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Table, text
from sqlalchemy.orm import Session

#: Loads smaller than this never trigger ``ANALYZE`` (a wrong plan over so few rows is cheap).
MIN_ROWS = 1000
#: A load adding more than this fraction of a table's analysed row count refreshes it.
GROWTH = 0.1


def refresh_after_load(conn: Connection | Session, added: Mapping[Table, int]) -> list[str]:
    """``ANALYZE`` the tables of ``added`` (table -> rows added) that grew substantially.

    Returns the names of the tables analysed (none on SQLite).
    """
    connection = conn.connection() if isinstance(conn, Session) else conn
    if connection.dialect.name != "postgresql":
        return []
    candidates = {table.name: rows for table, rows in added.items() if rows >= MIN_ROWS}
    if not candidates:
        return []
    known: dict[str, float] = dict(
        connection.execute(
            text(
                "SELECT relname, reltuples FROM pg_class"
                " WHERE oid = ANY(CAST(:names AS regclass[]))"
            ),
            {"names": list(candidates)},
        ).all()
    )
    # reltuples is -1 for a table never analysed: any load of MIN_ROWS counts.
    grown = sorted(
        name for name, rows in candidates.items() if rows > GROWTH * max(known.get(name, -1), 0)
    )
    if grown:
        quote = connection.dialect.identifier_preparer.quote
        connection.execute(text("ANALYZE " + ", ".join(quote(name) for name in grown)))
    return grown
