"""public releases: the signed public statements shown on the transparency page

Creates ``public_releases``: for each release whose policy was marked
``public`` when it was made, its public document (the release without who
asked) and the releases key's signature over it. Like the audit log, it is
only ever appended to: on PostgreSQL the trigger function of
``0005_audit_append_only`` refuses UPDATE, DELETE and TRUNCATE on it.

Revision ID: 0007_public_releases
Revises: 0006_record_buckets
"""

import sqlalchemy as sa
from alembic import op

import civicdata.db

revision = "0007_public_releases"
down_revision = "0006_record_buckets"
branch_labels = None
depends_on = None

TABLE = "public_releases"
FUNCTION = "civic_refuse_history_change"  # created by 0005_audit_append_only


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=63), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("published_at", civicdata.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_public_releases_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_public_releases")),
        sa.UniqueConstraint("release_id", name=op.f("uq_public_releases_release_id")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index("ix_public_releases_dataset", ["dataset", "seq"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only"
            f" BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_public_releases_dataset")
    op.drop_table(TABLE)
