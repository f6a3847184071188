"""Bulk inserts and key look-ups at driver speed, for the per-record tables of an upload.

Core ``executemany`` costs a bound-parameter conversion per value and, on
psycopg, one pipelined statement per row; an ``IN`` list of 5,000 binds costs
more to compile than to run. An upload writes a source-id digest per record,
so these two paths use the driver directly: ``COPY`` and ``= ANY(array)`` on
PostgreSQL, plain ``executemany`` and chunked ``IN`` lists on SQLite. Both run
in the caller's transaction; a driver's integrity error is raised as
SQLAlchemy's :class:`~sqlalchemy.exc.IntegrityError`, like any other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import IntegrityError

SQLITE_CHUNK = 5000


def _postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


@contextmanager
def _integrity_as_sqlalchemy(connection: Connection, statement: str) -> Iterator[None]:
    try:
        yield
    except connection.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        raise IntegrityError(statement, None, exc) from exc


def _pg_type(table: Table, column: str, connection: Connection) -> str:
    """The PostgreSQL type name of a column, as binary COPY needs it (``varchar``, ``bytea``)."""
    return table.c[column].type.compile(connection.dialect).split("(")[0].lower()


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``."""
    if not rows:
        return
    names = ", ".join(columns)
    cursor = connection.connection.cursor()
    try:
        if _postgresql(connection):
            statement = f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
            types = [_pg_type(table, name, connection) for name in columns]
            with _integrity_as_sqlalchemy(connection, statement), cursor.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 (names from the table)
            with _integrity_as_sqlalchemy(connection, statement):
                cursor.executemany(statement, rows)
    finally:
        cursor.close()


def select_where_in(
    connection: Connection, table: Table, key: str, values: Sequence[Any], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE key IN values``, for many values at once."""
    if not values:
        return []
    names = ", ".join(columns)
    cursor = connection.connection.cursor()
    try:
        if _postgresql(connection):
            statement = f"SELECT {names} FROM {table.name} WHERE {key} = ANY(%b)"  # noqa: S608
            cursor.execute(statement, (list(values),), binary=True)  # type: ignore[call-arg]
            return [tuple(row) for row in cursor.fetchall()]
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(values), SQLITE_CHUNK):
            chunk = values[start : start + SQLITE_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            statement = f"SELECT {names} FROM {table.name} WHERE {key} IN ({marks})"  # noqa: S608
            cursor.execute(statement, tuple(chunk))
            found.extend(tuple(row) for row in cursor.fetchall())
        return found
    finally:
        cursor.close()
