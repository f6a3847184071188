"""release jobs

Adds ``release_jobs``: one row per release computed as a job (state, executor
and heartbeat, progress, the release or the error), so that every API process
can report a job and fail one whose process died. Existing releases have no
job; nothing is migrated.

Revision ID: 0010_release_jobs
Revises: 0009_staff_names
"""

from alembic import op
import sqlalchemy as sa
import civicdata.db


revision = "0010_release_jobs"
down_revision = "0009_staff_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release_jobs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('reservation_id', sa.String(length=40), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('requester', sa.String(length=160), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('executor', sa.String(length=160), nullable=False),
    sa.Column('heartbeat_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=True),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('release_id', sa.String(length=40), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_release_jobs_state')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_release_jobs_release_id_releases')),
    sa.ForeignKeyConstraint(['reservation_id'], ['budget_reservations.id'], name=op.f('fk_release_jobs_reservation_id_budget_reservations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_jobs')),
    sa.UniqueConstraint('reservation_id', name=op.f('uq_release_jobs_reservation_id'))
    )
    with op.batch_alter_table('release_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_release_jobs_state_heartbeat', ['state', 'heartbeat_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('release_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_release_jobs_state_heartbeat')

    op.drop_table('release_jobs')
