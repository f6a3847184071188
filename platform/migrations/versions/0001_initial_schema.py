"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 17:44:49.592242
"""

from alembic import op
import sqlalchemy as sa
import civicdata.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_audit_checkpoints'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('resource', sa.String(length=200), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('dataset', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('entry', sa.Text(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor'), ['actor'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_dataset'), ['dataset'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_decision'), ['decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_purpose'), ['purpose'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject'), ['subject'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('budget_accounts',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_accounts'))
    )
    op.create_table('budget_reservations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('policy_id', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('dataset', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=63), nullable=False),
    sa.Column('requester', sa.String(length=160), nullable=False),
    sa.Column('policy_set_hash', sa.String(length=64), nullable=False),
    sa.Column('query_hash', sa.String(length=64), nullable=False),
    sa.Column('epsilon_units', sa.BigInteger(), nullable=False),
    sa.Column('delta_units', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('reserved_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('release_id', sa.String(length=40), nullable=True),
    sa.CheckConstraint("state IN ('reserved', 'spent', 'released')", name=op.f('ck_budget_reservations_state')),
    sa.CheckConstraint('epsilon_units > 0 AND delta_units >= 0', name=op.f('ck_budget_reservations_amounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_reservations'))
    )
    with op.batch_alter_table('budget_reservations', schema=None) as batch_op:
        batch_op.create_index('ix_budget_reservations_dataset_time', ['dataset', 'reserved_at'], unique=False)
        batch_op.create_index('ix_budget_reservations_policy_time', ['policy_id', 'reserved_at'], unique=False)

    op.create_table('citizens',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered', sa.Boolean(), nullable=False),
    sa.Column('name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('email_enc', sa.LargeBinary(), nullable=True),
    sa.Column('erased_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizens'))
    )
    op.create_table('ingestions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('dataset', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=False),
    sa.Column('response_type', sa.String(length=64), nullable=False),
    sa.Column('response_body', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingestions')),
    sa.UniqueConstraint('client_id', 'idempotency_key', name='uq_ingestions_client_key')
    )
    with op.batch_alter_table('ingestions', schema=None) as batch_op:
        batch_op.create_index('ix_ingestions_client_created', ['client_id', 'created_at'], unique=False)

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('login_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_login_digest'), ['login_digest'], unique=False)

    op.create_table('oauth_clients',
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_oauth_clients'))
    )
    op.create_table('source_records',
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('ingestion_id', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_source_records'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('login_digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_accounts_citizen_id_citizens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_accounts_citizen_id')),
    sa.UniqueConstraint('login_digest', name=op.f('uq_accounts_login_digest'))
    )
    op.create_table('citizen_keys',
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('master_key_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rewrapped_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_citizen_keys_citizen_id_citizens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('citizen_id', name=op.f('pk_citizen_keys'))
    )
    with op.batch_alter_table('citizen_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_keys_master_key_id'), ['master_key_id'], unique=False)

    op.create_table('citizen_lookups',
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_citizen_lookups_citizen_id_citizens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_citizen_lookups'))
    )
    with op.batch_alter_table('citizen_lookups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_lookups_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('record_blocks',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('dataset', sa.String(length=64), nullable=False),
    sa.Column('layout', sa.String(length=16), nullable=False),
    sa.Column('n_records', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_record_blocks_citizen_id_citizens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_blocks'))
    )
    with op.batch_alter_table('record_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_blocks_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index('ix_record_blocks_dataset_citizen', ['dataset', 'citizen_id'], unique=False)

    op.create_table('releases',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('requester', sa.String(length=160), nullable=False),
    sa.Column('policy_id', sa.String(length=64), nullable=False),
    sa.Column('policy_set_hash', sa.String(length=64), nullable=False),
    sa.Column('dataset', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=63), nullable=False),
    sa.Column('query_hash', sa.String(length=64), nullable=False),
    sa.Column('mechanism', sa.String(length=16), nullable=False),
    sa.Column('epsilon_units', sa.BigInteger(), nullable=False),
    sa.Column('delta_units', sa.BigInteger(), nullable=False),
    sa.Column('reservation_id', sa.String(length=40), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('consent_checked_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reservation_id'], ['budget_reservations.id'], name=op.f('fk_releases_reservation_id_budget_reservations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_releases'))
    )
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.create_index('ix_releases_department_time', ['department', 'created_at'], unique=False)
        batch_op.create_index('ix_releases_reuse', ['query_hash', 'policy_id', 'policy_set_hash', 'created_at'], unique=False)

    op.create_table('oauth_authorizations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('notices', sa.JSON(), nullable=False),
    sa.Column('given_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_authorizations_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_oauth_authorizations_citizen_id_citizens'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_oauth_authorizations_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_authorizations'))
    )
    with op.batch_alter_table('oauth_authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_authorizations_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_authorizations_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_authorizations_client_id'), ['client_id'], unique=False)

    op.create_table('portal_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_portal_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_portal_sessions'))
    )
    with op.batch_alter_table('portal_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('oauth_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('authorization_id', sa.String(length=40), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=False),
    sa.Column('issued_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['authorization_id'], ['oauth_authorizations.id'], name=op.f('fk_oauth_codes_authorization_id_oauth_authorizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_oauth_codes_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_oauth_codes'))
    )
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_codes_authorization_id'), ['authorization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_codes_client_id'), ['client_id'], unique=False)

    op.create_table('oauth_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=True),
    sa.Column('authorization_id', sa.String(length=40), nullable=True),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('issued_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicdata.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rotated_at', civicdata.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_tokens_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['authorization_id'], ['oauth_authorizations.id'], name=op.f('fk_oauth_tokens_authorization_id_oauth_authorizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_oauth_tokens_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_oauth_tokens_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_oauth_tokens_refresh_token_hash'))
    )
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_tokens_authorization_id'), ['authorization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_tokens_client_id'), ['client_id'], unique=False)

    op.create_table('notice_versions',
    sa.Column('purpose_id', sa.String(length=63), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('notice_hash', sa.String(length=64), nullable=False),
    sa.Column('material', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_notice_versions_version_positive')),
    sa.PrimaryKeyConstraint('purpose_id', 'version', name=op.f('pk_notice_versions'))
    )
    op.create_table('consent_events',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('purpose_id', sa.String(length=63), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('legal_basis', sa.String(length=64), nullable=False),
    sa.Column('controller', sa.String(length=63), nullable=False),
    sa.Column('collection_method', sa.String(length=8), nullable=False),
    sa.Column('client_id', sa.String(length=128), nullable=True),
    sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.CheckConstraint("collection_method <> 'oauth' OR client_id IS NOT NULL", name=op.f('ck_consent_events_oauth_has_client')),
    sa.CheckConstraint("collection_method IN ('portal', 'oauth', 'api')", name=op.f('ck_consent_events_collection_method')),
    sa.CheckConstraint("state <> 'given' OR valid_until IS NOT NULL", name=op.f('ck_consent_events_given_has_expiry')),
    sa.CheckConstraint("state IN ('given', 'withdrawn', 'expired')", name=op.f('ck_consent_events_state')),
    sa.ForeignKeyConstraint(['purpose_id', 'notice_version'], ['notice_versions.purpose_id', 'notice_versions.version'], name='fk_consent_events_notice_versions'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_consent_events')),
    sa.UniqueConstraint('record_id', name=op.f('uq_consent_events_record_id'))
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index('ix_consent_events_eligibility', ['purpose_id', 'subject_id', 'event_time', 'seq'], unique=False)
        batch_op.create_index('ix_consent_events_subject', ['subject_id', 'event_time'], unique=False)

    op.create_table('consent_current',
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('purpose_id', sa.String(length=63), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['consent_events.seq'], name='fk_consent_current_consent_events'),
    sa.PrimaryKeyConstraint('subject_id', 'purpose_id', name=op.f('pk_consent_current'))
    )
    with op.batch_alter_table('consent_current', schema=None) as batch_op:
        batch_op.create_index('ix_consent_current_eligibility', ['purpose_id', 'state', 'valid_until'], unique=False)
        batch_op.create_index('ix_consent_current_recent', ['purpose_id', 'event_time'], unique=False)

    op.create_table('policy_sets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_sets'))
    )
    with op.batch_alter_table('policy_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_sets_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_sets_loaded_at'), ['loaded_at'], unique=False)

    # Seed the audit log's head row: appends lock and bump it.
    op.bulk_insert(
        sa.table('audit_head', sa.column('id', sa.Integer), sa.column('size', sa.BigInteger)),
        [{'id': 1, 'size': 0}],
    )


def downgrade() -> None:
    with op.batch_alter_table('policy_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_sets_loaded_at'))
        batch_op.drop_index(batch_op.f('ix_policy_sets_content_hash'))

    op.drop_table('policy_sets')
    with op.batch_alter_table('consent_current', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_current_recent')
        batch_op.drop_index('ix_consent_current_eligibility')

    op.drop_table('consent_current')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_events_subject')
        batch_op.drop_index('ix_consent_events_eligibility')

    op.drop_table('consent_events')
    op.drop_table('notice_versions')
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_client_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_authorization_id'))

    op.drop_table('oauth_tokens')
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_codes_client_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_codes_authorization_id'))

    op.drop_table('oauth_codes')
    with op.batch_alter_table('portal_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_sessions_account_id'))

    op.drop_table('portal_sessions')
    with op.batch_alter_table('oauth_authorizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_authorizations_client_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_authorizations_citizen_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_authorizations_account_id'))

    op.drop_table('oauth_authorizations')
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_index('ix_releases_reuse')
        batch_op.drop_index('ix_releases_department_time')

    op.drop_table('releases')
    with op.batch_alter_table('record_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_record_blocks_dataset_citizen')
        batch_op.drop_index(batch_op.f('ix_record_blocks_citizen_id'))

    op.drop_table('record_blocks')
    with op.batch_alter_table('citizen_lookups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_lookups_citizen_id'))

    op.drop_table('citizen_lookups')
    with op.batch_alter_table('citizen_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_keys_master_key_id'))

    op.drop_table('citizen_keys')
    op.drop_table('accounts')
    op.drop_table('source_records')
    op.drop_table('oauth_clients')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_login_digest'))
        batch_op.drop_index(batch_op.f('ix_login_failures_at'))

    op.drop_table('login_failures')
    with op.batch_alter_table('ingestions', schema=None) as batch_op:
        batch_op.drop_index('ix_ingestions_client_created')

    op.drop_table('ingestions')
    op.drop_table('citizens')
    with op.batch_alter_table('budget_reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_reservations_policy_time')
        batch_op.drop_index('ix_budget_reservations_dataset_time')

    op.drop_table('budget_reservations')
    op.drop_table('budget_accounts')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_events_purpose'))
        batch_op.drop_index(batch_op.f('ix_audit_events_department'))
        batch_op.drop_index(batch_op.f('ix_audit_events_decision'))
        batch_op.drop_index(batch_op.f('ix_audit_events_dataset'))
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index(batch_op.f('ix_audit_events_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('audit_checkpoints')
