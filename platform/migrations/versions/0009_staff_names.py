"""staff accounts carry a display name

Adds ``accounts.display_name`` so that auditors see who acted (name, role and
department beside the account id the log holds). Only staff accounts may have
one: a check constraint refuses a name on an account linked to a citizen, who
stays pseudonymous. Existing staff accounts keep a NULL name until an operator
sets one (``civic accounts set-name``).

Revision ID: 0009_staff_names
Revises: 0008_record_shards
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_staff_names"
down_revision = "0008_record_shards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_accounts_staff_name"), "citizen_id IS NULL OR display_name IS NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_accounts_staff_name"), type_="check")
        batch_op.drop_column("display_name")
