"""sla_breach_alerts, ops_feed_state, zd_view_counts: the ops notifications

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sla_breach_alerts',
    sa.Column('ticket_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('instance_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('breach_at', sa.DateTime(timezone=True), nullable=False,
              comment="the instance's breach time when it was alerted"),
    sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lead_minutes', sa.Integer(), nullable=False, comment='minutes left before breach at the alert'),
    sa.Column('plan', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=True),
    sa.Column('organization', sa.String(length=255), nullable=True),
    sa.Column('plan_id', sa.String(length=64), nullable=True, comment='the outbound plan of the Slack message'),
    sa.Column('tag_on', sa.Boolean(), nullable=False,
              comment='the ticket carries slah-2hr-breach-notification for it'),
    sa.Column('tag_removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id', 'metric', 'instance_id', name=op.f('pk_sla_breach_alerts')),
    comment='One row per alerted (ticket, metric, instance): an instance alerts once.'
    )
    op.create_table('ops_feed_state',
    sa.Column('feed', sa.String(length=32), nullable=False),
    sa.Column('posted_until', sa.DateTime(timezone=True), nullable=False,
              comment='tickets updated up to here have been posted'),
    sa.Column('pending', sa.JSON(), nullable=True, comment='the window being posted: since, until, message key'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('feed', name=op.f('pk_ops_feed_state'))
    )
    op.create_table('zd_view_counts',
    sa.Column('view_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True, comment='null while Zendesk is still counting'),
    sa.Column('fresh', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('view_id', 'counted_at', name=op.f('pk_zd_view_counts'))
    )


def downgrade() -> None:
    op.drop_table('zd_view_counts')
    op.drop_table('ops_feed_state')
    op.drop_table('sla_breach_alerts')
