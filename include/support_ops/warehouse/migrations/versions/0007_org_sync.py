"""org_sync_runs, org_sync_changes, org_sync_skips: the organization sync's runs and audit

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_sync_runs',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=True, comment="the outbound plan of the run's writes"),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('dag_run_id', sa.String(length=250), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('max_changes', sa.Integer(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False, comment='create_missing, only_orgs, clearable fields'),
    sa.Column('status', sa.String(length=16), nullable=False,
              comment='planned, dry_run, capped, applied, failed, verified, verify_failed'),
    sa.Column('counts', sa.JSON(), nullable=False, comment='planned, applied, failed, skipped by reason, per field'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_org_sync_runs'))
    )
    op.create_table('org_sync_changes',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=18), nullable=False),
    sa.Column('before', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('after', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False, comment='planned, applied, failed, dry_run'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_id', 'organization_id', 'field', name=op.f('pk_org_sync_changes'))
    )
    op.create_table('org_sync_skips',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=18), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('run_id', 'account_id', name=op.f('pk_org_sync_skips'))
    )


def downgrade() -> None:
    op.drop_table('org_sync_skips')
    op.drop_table('org_sync_changes')
    op.drop_table('org_sync_runs')
