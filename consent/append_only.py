"""A guard that keeps the consent log append-only on an engine.

This package never updates or deletes consent rows; :func:`guard_append_only`
makes that hold for every other caller of the engine too (an erasure that
deletes a citizen's records must leave their consent history, which names
them only by pseudonym). It refuses SQLAlchemy ``UPDATE`` and ``DELETE``
statements on the history tables, ``consent_events`` and ``notice_versions``,
before they reach the database (raw SQL strings are not inspected).

``consent_current`` is deliberately not protected: it is a derived projection
of the log, upserted in place with every event and rebuilt with
:func:`consent.current.rebuild_current`, not history.

>>> from sqlalchemy import create_engine, delete
>>> engine = create_engine("sqlite://")
>>> guard_append_only(engine)
>>> with engine.connect() as conn:
...     conn.execute(delete(consent_events))
Traceback (most recent call last):
...
consent.append_only.AppendOnlyError: consent_events is append-only: DELETE refused
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Delete, Engine, TableClause, Update, event

from consent.tables import consent_events, notice_versions

#: The history tables; the ``consent_current`` projection is mutable by design.
PROTECTED = frozenset({consent_events.name, notice_versions.name})


class AppendOnlyError(RuntimeError):
    """Someone tried to change or remove consent history."""


def guard_append_only(engine: Engine) -> None:
    """Refuse every ``UPDATE``/``DELETE`` construct on the consent history tables on ``engine``."""
    event.listen(engine, "before_execute", _refuse_changes)


def _refuse_changes(
    conn: Connection, statement: Any, multiparams: Any, params: Any, options: Any
) -> None:
    if not isinstance(statement, Update | Delete):
        return
    table = statement.table
    if isinstance(table, TableClause) and table.name in PROTECTED:
        verb = "UPDATE" if isinstance(statement, Update) else "DELETE"
        raise AppendOnlyError(f"{table.name} is append-only: {verb} refused")
