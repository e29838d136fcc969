"""extracted source tables

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sf_accounts',
    sa.Column('id', sa.String(length=18), nullable=False),
    sa.Column('id15', sa.String(length=15), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('owner_name', sa.String(length=255), nullable=True),
    sa.Column('website', sa.String(length=255), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_modified_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('system_modstamp', sa.DateTime(timezone=True), nullable=True),
    sa.Column('support_level', sa.String(length=64), nullable=True),
    sa.Column('carr', sa.Float(), nullable=True),
    sa.Column('licenses', sa.Integer(), nullable=True),
    sa.Column('market_segment', sa.String(length=64), nullable=True),
    sa.Column('sales_segmentation', sa.String(length=64), nullable=True),
    sa.Column('technical_account_manager', sa.String(length=255), nullable=True),
    sa.Column('zendesk_organization_id', sa.String(length=32), nullable=True),
    sa.Column('zendesk_organization_name', sa.String(length=255), nullable=True),
    sa.Column('deployment', sa.String(length=255), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sf_accounts'))
    )
    with op.batch_alter_table('sf_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sf_accounts_id15'), ['id15'], unique=False)

    op.create_table('zd_organizations',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('domain_names', sa.JSON(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('salesforce_id', sa.String(length=32), nullable=True),
    sa.Column('support_level', sa.String(length=64), nullable=True),
    sa.Column('aar', sa.Float(), nullable=True),
    sa.Column('account_owner', sa.String(length=255), nullable=True),
    sa.Column('number_of_seats', sa.Integer(), nullable=True),
    sa.Column('market_segment', sa.String(length=64), nullable=True),
    sa.Column('sales_segmentation', sa.String(length=64), nullable=True),
    sa.Column('technical_account_manager', sa.String(length=255), nullable=True),
    sa.Column('account_type', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zd_organizations'))
    )
    op.create_table('zd_satisfaction_ratings',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('requester_id', sa.BigInteger(), nullable=True),
    sa.Column('assignee_id', sa.BigInteger(), nullable=True),
    sa.Column('group_id', sa.BigInteger(), nullable=True),
    sa.Column('score', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('reason_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zd_satisfaction_ratings'))
    )
    with op.batch_alter_table('zd_satisfaction_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zd_satisfaction_ratings_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('zd_ticket_forms',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zd_ticket_forms'))
    )
    op.create_table('zd_ticket_metric_events',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sla_target', sa.Integer(), nullable=True),
    sa.Column('sla_business_hours', sa.Boolean(), nullable=True),
    sa.Column('sla_policy_id', sa.BigInteger(), nullable=True),
    sa.Column('sla_policy_title', sa.String(length=255), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zd_ticket_metric_events'))
    )
    with op.batch_alter_table('zd_ticket_metric_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zd_ticket_metric_events_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('zd_ticket_metrics',
    sa.Column('ticket_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('id', sa.BigInteger(), nullable=True),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopens', sa.Integer(), nullable=True),
    sa.Column('replies', sa.Integer(), nullable=True),
    sa.Column('reply_time_minutes', sa.Integer(), nullable=True),
    sa.Column('full_resolution_time_minutes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_zd_ticket_metrics'))
    )
    op.create_table('zd_tickets',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('via_channel', sa.String(length=32), nullable=True),
    sa.Column('recipient', sa.String(length=255), nullable=True),
    sa.Column('requester_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('ticket_form_id', sa.BigInteger(), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('generated_timestamp', sa.BigInteger(), nullable=True),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('satisfaction_score', sa.String(length=16), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zd_tickets'))
    )
    with op.batch_alter_table('zd_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zd_tickets_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zd_tickets_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zd_tickets_solved_at'), ['solved_at'], unique=False)

    op.create_table('zd_users',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zd_users'))
    )
    with op.batch_alter_table('zd_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zd_users_organization_id'), ['organization_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('zd_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zd_users_organization_id'))

    op.drop_table('zd_users')
    with op.batch_alter_table('zd_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zd_tickets_solved_at'))
        batch_op.drop_index(batch_op.f('ix_zd_tickets_requester_id'))
        batch_op.drop_index(batch_op.f('ix_zd_tickets_organization_id'))

    op.drop_table('zd_tickets')
    op.drop_table('zd_ticket_metrics')
    with op.batch_alter_table('zd_ticket_metric_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zd_ticket_metric_events_ticket_id'))

    op.drop_table('zd_ticket_metric_events')
    op.drop_table('zd_ticket_forms')
    with op.batch_alter_table('zd_satisfaction_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zd_satisfaction_ratings_ticket_id'))

    op.drop_table('zd_satisfaction_ratings')
    op.drop_table('zd_organizations')
    with op.batch_alter_table('sf_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sf_accounts_id15'))

    op.drop_table('sf_accounts')
