"""accounts: email verification state

Revision ID: 0004_accounts
Revises: 0003_signing_keys
Create Date: 2026-12-02 05:40:00

Accounts that exist already were created by operators or before self-service
registration asked for verification: they count as verified.
"""

from alembic import op
import sqlalchemy as sa
import civicdata.db


revision = "0004_accounts"
down_revision = "0003_signing_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("email_verified_at", civicdata.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE accounts SET email_verified_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("email_verified_at")
