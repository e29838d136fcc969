"""csat_kpi_runs: a record of each CSAT KPI computation

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('csat_kpi_runs',
    sa.Column('run_id', sa.String(length=64), nullable=False,
              comment='computed_at as ISO text plus a short random suffix'),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data_as_of', sa.DateTime(timezone=True), nullable=True,
              comment='newest ticket/rating change seen, capped at computed_at'),
    sa.Column('first_period', sa.Date(), nullable=True),
    sa.Column('last_period', sa.Date(), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=False, comment='(period_type, period_start) pairs replaced'),
    sa.Column('tickets', sa.Integer(), nullable=False, comment='solved, non-deleted tickets in the cohort'),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_csat_kpi_runs'))
    )


def downgrade() -> None:
    op.drop_table('csat_kpi_runs')
