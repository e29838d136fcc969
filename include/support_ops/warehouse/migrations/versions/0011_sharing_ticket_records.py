"""shared_org_findings, shared_org_runs, shared_org_applies, ticket_record_findings,
ticket_record_runs: the shared-organization audit and the Salesforce ticket-record checks

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shared_org_findings',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False, comment='organization or user'),
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('first_seen', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('run_date', 'check_name', 'entity_type', 'entity_id',
                            name=op.f('pk_shared_org_findings')),
    comment='One row per shared-organization finding and audit day, like integrity_findings.'
    )
    op.create_table('shared_org_runs',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False, comment='findings per check'),
    sa.Column('changes', sa.JSON(), nullable=False, comment='new and resolved per check since the previous run'),
    sa.Column('requests', sa.JSON(), nullable=False,
              comment='approved requests read, and those that could not be read'),
    sa.Column('report', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_date', name=op.f('pk_shared_org_runs'))
    )
    op.create_table('shared_org_applies',
    sa.Column('project', sa.String(length=255), nullable=False),
    sa.Column('issue_iid', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False,
              comment='applied, unchanged, refused, dry_run or failed'),
    sa.Column('option', sa.String(length=32), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('plan_id', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('project', 'issue_iid', 'attempted_at', name=op.f('pk_shared_org_applies'))
    )
    op.create_table('ticket_record_findings',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False, comment='ticket, target, trigger or field'),
    sa.Column('entity_id', sa.String(length=128), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('first_seen', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('run_date', 'check_name', 'entity_type', 'entity_id',
                            name=op.f('pk_ticket_record_findings'))
    )
    op.create_table('ticket_record_runs',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False,
              comment='the window: tickets created or solved in the last N days'),
    sa.Column('counts', sa.JSON(), nullable=False, comment='findings per check, and tickets in the window'),
    sa.Column('health', sa.JSON(), nullable=False, comment='each health check: ok and why'),
    sa.Column('backfill', sa.JSON(), nullable=True, comment="the backfill's plan and outcome, when asked for"),
    sa.Column('report', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_date', name=op.f('pk_ticket_record_runs'))
    )


def downgrade() -> None:
    for name in ('ticket_record_runs', 'ticket_record_findings', 'shared_org_applies', 'shared_org_runs',
                 'shared_org_findings'):
        op.drop_table(name)
