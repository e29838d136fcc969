"""outbound log for idempotent external writes

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbound_log',
    sa.Column('dedup_key', sa.String(length=255), nullable=False, comment='what makes two writes the same write'),
    sa.Column('target', sa.String(length=64), nullable=False, comment='slack, gitlab, zendesk, pagerduty'),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('dedup_key', name=op.f('pk_outbound_log'))
    )


def downgrade() -> None:
    op.drop_table('outbound_log')
