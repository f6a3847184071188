"""signing keys per use, with their published history

Revision ID: 0003_signing_keys
Revises: 0001
Create Date: 2026-12-02 05:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
import civicdata.db


revision = '0003_signing_keys'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('not_before', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_after', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("algorithm IN ('Ed25519', 'RS256')", name=op.f('ck_signing_keys_algorithm')),
    sa.CheckConstraint("use IN ('audit', 'receipts', 'releases', 'oidc')", name=op.f('ck_signing_keys_use')),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_keys'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index('ix_signing_keys_use_not_before', ['use', 'not_before'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_signing_keys_use_not_before')
    op.drop_table('signing_keys')
