"""csat_kpi_tickets, csat_kpi_dimensions, csat_kpi_marks and extracted_at indexes: KPIs
recomputed only where the data changed

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('csat_kpi_tickets',
    sa.Column('ticket_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=False,
              comment='the solved_at the ticket was counted with'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_csat_kpi_tickets')),
    comment='The KPI cohort as last counted: a ticket solved again leaves its old period.'
    )
    op.create_table('csat_kpi_dimensions',
    sa.Column('dimension', sa.String(length=16), nullable=False, comment='user, organization or form'),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('support_level', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('dimension', 'id', name=op.f('pk_csat_kpi_dimensions')),
    comment='The user, organization and form values the last KPI computation used.'
    )
    op.create_table('csat_kpi_marks',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('mark', sa.DateTime(timezone=True), nullable=False,
              comment='newest extracted_at the last KPI computation saw, capped at its run time'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, comment='when that computation ran'),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_csat_kpi_marks'))
    )
    with op.batch_alter_table('zd_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_zd_tickets_extracted_at', ['extracted_at'], unique=False)
    with op.batch_alter_table('zd_satisfaction_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_zd_satisfaction_ratings_extracted_at', ['extracted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('zd_satisfaction_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_zd_satisfaction_ratings_extracted_at')
    with op.batch_alter_table('zd_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_zd_tickets_extracted_at')
    op.drop_table('csat_kpi_marks')
    op.drop_table('csat_kpi_dimensions')
    op.drop_table('csat_kpi_tickets')
