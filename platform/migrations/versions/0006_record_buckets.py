"""record blocks keyed by time bucket

Adds ``record_blocks.bucket`` (the first month of the time bucket all of a
block's records fall in, months since year 0) and an index on (dataset,
bucket, citizen_id). Existing blocks keep a NULL bucket, meaning "any time":
they may hold several months and reading them would need every data key, so
they are read by every scan of their dataset (as before) until the data is
uploaded again; new uploads write one block per citizen and bucket.

Revision ID: 0006_record_buckets
Revises: 0005_audit_append_only
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_record_buckets"
down_revision = "0005_audit_append_only"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bucket", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_record_blocks_dataset_bucket_citizen",
            ["dataset", "bucket", "citizen_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("record_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_record_blocks_dataset_bucket_citizen")
        batch_op.drop_column("bucket")
