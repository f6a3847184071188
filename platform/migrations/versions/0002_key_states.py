"""master key states and key-encryption keys

Revision ID: 0002_key_states
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import civicdata.db


revision = "0002_key_states"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "master_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("added_at", civicdata.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", civicdata.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("demoted_at", civicdata.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", civicdata.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_master_keys")),
    )
    op.create_table(
        "key_encryption_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("master_key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", civicdata.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rewrapped_at", civicdata.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_encryption_keys")),
    )
    with op.batch_alter_table("key_encryption_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_encryption_keys_master_key_id"), ["master_key_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("key_encryption_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_encryption_keys_master_key_id"))
    op.drop_table("key_encryption_keys")
    op.drop_table("master_keys")
