"""feedback_issues: the rating -> GitLab issue mapping of the feedback issues

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_issues',
    sa.Column('rating_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('project', sa.String(length=255), nullable=False, comment='path of the GitLab project'),
    sa.Column('issue_iid', sa.Integer(), nullable=False),
    sa.Column('web_url', sa.Text(), nullable=True),
    sa.Column('score', sa.String(length=16), nullable=False, comment='the score the issue is labelled with'),
    sa.Column('reason_key', sa.String(length=32), nullable=True),
    sa.Column('route', sa.String(length=32), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False, comment='opened or closed, as GitLab last showed it'),
    sa.Column('assignee', sa.String(length=255), nullable=True, comment='GitLab username assigned at creation'),
    sa.Column('manager', sa.String(length=255), nullable=True, comment='the reviewing manager on call at creation'),
    sa.Column('found_by', sa.String(length=16), nullable=False, comment='created, or marker (recovered from GitLab)'),
    sa.Column('issue_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issue_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True,
              comment='first note by someone other than the bot'),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rating_id', name=op.f('pk_feedback_issues'))
    )


def downgrade() -> None:
    op.drop_table('feedback_issues')
