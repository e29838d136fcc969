"""foundation tables: bookkeeping and the contract tables of docs/data-contract.md

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('csat_bad_reasons',
    sa.Column('period_type', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=128), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period_type', 'period_start', 'reason', 'route', name=op.f('pk_csat_bad_reasons'))
    )
    op.create_table('csat_kpis',
    sa.Column('period_type', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('segment_type', sa.String(length=16), nullable=False),
    sa.Column('segment_value', sa.String(length=128), nullable=False),
    sa.Column('solved', sa.Integer(), nullable=False),
    sa.Column('surveyed', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('good', sa.Integer(), nullable=False),
    sa.Column('bad', sa.Integer(), nullable=False),
    sa.Column('csat', sa.Float(), nullable=True),
    sa.Column('response_rate', sa.Float(), nullable=True),
    sa.Column('coverage', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('period_type', 'period_start', 'segment_type', 'segment_value', name=op.f('pk_csat_kpis'))
    )
    op.create_table('csat_unsurveyed',
    sa.Column('period_type', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period_type', 'period_start', 'reason', name=op.f('pk_csat_unsurveyed'))
    )
    op.create_table('extract_state',
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=True, comment='opaque cursor or high-water mark of the stream'),
    sa.Column('records', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_extract_state')),
    comment='Incremental cursors, committed in the same transaction as the rows they follow.'
    )
    op.create_table('integrity_findings',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('first_seen', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('run_date', 'check_name', 'entity_type', 'entity_id', name=op.f('pk_integrity_findings'))
    )
    op.create_table('quarantine',
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('record_key', sa.String(length=128), nullable=False, comment='the record id, or a hash when it has none'),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('stream', 'record_key', name=op.f('pk_quarantine'))
    )
    op.create_table('warehouse_heartbeat',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('schema_revision', sa.String(length=32), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_warehouse_heartbeat'))
    )


def downgrade() -> None:
    op.drop_table('warehouse_heartbeat')
    op.drop_table('quarantine')
    op.drop_table('integrity_findings')
    op.drop_table('extract_state')
    op.drop_table('csat_unsurveyed')
    op.drop_table('csat_kpis')
    op.drop_table('csat_bad_reasons')
