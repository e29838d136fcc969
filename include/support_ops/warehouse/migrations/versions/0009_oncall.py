"""oncall_shifts, oncall_findings, oncall_runs: the PagerDuty roster and on-call audits

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oncall_shifts',
    sa.Column('schedule_id', sa.String(length=32), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('schedule_name', sa.String(length=255), nullable=False),
    sa.Column('user_name', sa.String(length=255), nullable=True),
    sa.Column('user_email', sa.String(length=255), nullable=True),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False,
              comment='when the run that read this shift ran'),
    sa.PrimaryKeyConstraint('schedule_id', 'start', 'user_id', name=op.f('pk_oncall_shifts')),
    comment="Who is on call per schedule, from PagerDuty's final schedule; future shifts are replaced each run."
    )
    op.create_table('oncall_findings',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=255), nullable=False,
              comment='schedule/policy/service id, or the name of a missing one'),
    sa.Column('item', sa.String(length=64), nullable=False,
              comment="tells findings of one entity apart: a gap's start, a layer id"),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('first_seen', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('run_date', 'check_name', 'entity_id', 'item', name=op.f('pk_oncall_findings'))
    )
    op.create_table('oncall_runs',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False, comment='the start of the audited window'),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False, comment='findings per check'),
    sa.Column('changes', sa.JSON(), nullable=False, comment='new and resolved per check since the previous run'),
    sa.Column('now_on_call', sa.JSON(), nullable=True,
              comment='the digest: who is on call at as_of per service'),
    sa.Column('report', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_date', name=op.f('pk_oncall_runs'))
    )


def downgrade() -> None:
    op.drop_table('oncall_runs')
    op.drop_table('oncall_findings')
    op.drop_table('oncall_shifts')
