"""integrity_runs: the status of each CRM integrity run (read by the organization sync)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integrity_runs',
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False, comment='findings per check_name'),
    sa.Column('changes', sa.JSON(), nullable=False,
              comment='previous_run and, per check_name, new and resolved findings'),
    sa.Column('blocking', sa.JSON(), nullable=False,
              comment='blocking checks with findings: {check_name: count}'),
    sa.Column('sync_allowed', sa.Boolean(), nullable=False),
    sa.Column('reports', sa.JSON(), nullable=True, comment='paths of the summary page and the Data Docs'),
    sa.PrimaryKeyConstraint('run_date', name=op.f('pk_integrity_runs'))
    )


def downgrade() -> None:
    op.drop_table('integrity_runs')
