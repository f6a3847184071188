"""audit log and consent history append-only in PostgreSQL itself; witness cosignatures

Triggers refuse UPDATE, DELETE and TRUNCATE on the audit log, its checkpoints
and the consent history, whoever asks: history is only ever appended. They are
ordinary triggers, so a superuser can still bypass them for a session with
``SET session_replication_role = replica`` (the test suite resets tables that
way); the application's role cannot (see ``civic db roles``). SQLite gets no
triggers: it is the single-user development database. Also creates
``audit_cosignatures``, the witnesses' cosignatures of checkpoints (append-only too).

Revision ID: 0005_audit_append_only
Revises: 0004_accounts
"""

import sqlalchemy as sa
from alembic import op

import civicdata.db

revision = "0005_audit_append_only"
down_revision = "0004_accounts"
branch_labels = None
depends_on = None

TABLES = (
    "audit_events",
    "audit_checkpoints",
    "audit_cosignatures",
    "consent_events",
    "notice_versions",
)
FUNCTION = "civic_refuse_history_change"


def upgrade() -> None:
    op.create_table(
        "audit_cosignatures",
        sa.Column("checkpoint_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(length=255), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("at", civicdata.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_size", "witness", name=op.f("pk_audit_cosignatures")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'history is only ever appended; see docs/audit.md';
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only"
            f" BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table("audit_cosignatures")
