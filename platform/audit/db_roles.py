"""The PostgreSQL role layout in which the application cannot rewrite history.

The schema owner (who runs ``civic db upgrade``) owns every table. The
application connects as its own login role, which may read and write the
working tables but may only ``INSERT`` and ``SELECT`` on the history tables:
the audit log, its checkpoints, the consent history and the published
releases. Together with the
append-only triggers of migration ``0005_audit_append_only`` (which refuse
``UPDATE``, ``DELETE`` and ``TRUNCATE`` for every role, the owner included),
an application compromised through a bug can add entries but not edit or
remove one. Erasure needs nothing more: it destroys keys, record blocks and
identity rows, never history.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

#: Tables that are only ever appended to (see the triggers of migrations 0005 and 0007).
APPEND_ONLY_TABLES = (
    "audit_events",
    "audit_checkpoints",
    "audit_cosignatures",
    "consent_events",
    "notice_versions",
    "public_releases",
)
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleLayoutError(ValueError):
    """A role or database name that cannot be used in the layout."""


def _identifier(name: str, what: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise RoleLayoutError(f"{what} {name!r}: use lower-case letters, digits and _ (max 63)")
    return f'"{name}"'


def role_layout(database: str, app_role: str, schema: str = "public") -> list[str]:
    """The statements (run as the schema owner, after migrating) that set the layout up.

    Idempotent: the role is created if missing, and the grants are recomputed
    for the tables that exist now, so run it again after every migration.
    """
    app = _identifier(app_role, "application role")
    db = _identifier(database, "database")
    ns = _identifier(schema, "schema")
    history = ", ".join(f"{ns}.{table}" for table in APPEND_ONLY_TABLES)
    return [
        "DO $$ BEGIN"
        f" CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;"
        " EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
        f"GRANT USAGE ON SCHEMA {ns} TO {app}",
        f"REVOKE CREATE ON SCHEMA {ns} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {ns} TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {history} FROM {app}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {ns}.alembic_version FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {ns} TO {app}",
    ]


def apply_layout(conn: Connection, statements: list[str]) -> None:
    """Run the layout's statements in ``conn``'s transaction (the caller commits)."""
    for statement in statements:
        conn.execute(text(statement))
