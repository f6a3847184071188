"""the portal language an account chose

Adds ``accounts.locale`` (``en``, ``ca`` or ``es``; NULL until the owner uses
the language switch, when the browser's preference decides).

Revision ID: 0011_account_locale
Revises: 0010_release_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_account_locale"
down_revision = "0010_release_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("locale")
