"""outbound_plans and outbound_writes: planned writes, intents before effects, the audit

Replaces outbound_log. Its rows (messages already sent) move into outbound_writes as applied
writes of one plan named `outbound-log`, so a message sent before the upgrade is not sent again.

Revision ID: 0006
Revises: 0005
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LEGACY_PLAN = 'outbound-log'


def upgrade() -> None:
    op.create_table('outbound_plans',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('writer', sa.String(length=64), nullable=False,
              comment='who plans these writes: kpi_alert, org_sync, ...'),
    sa.Column('target', sa.String(length=32), nullable=False,
              comment='slack, zendesk, gitlab, salesforce, pagerduty'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False,
              comment='dag/run/task of the planning task, or cli:<user>'),
    sa.Column('dag_id', sa.String(length=250), nullable=True),
    sa.Column('run_id', sa.String(length=250), nullable=True),
    sa.Column('task_id', sa.String(length=250), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False, comment='writes in the plan'),
    sa.Column('to_apply', sa.Integer(), nullable=True,
              comment='writes not applied before, counted against the cap'),
    sa.Column('max_changes', sa.Integer(), nullable=True, comment='the cap the plan was applied under'),
    sa.Column('status', sa.String(length=16), nullable=False,
              comment='planned, applied, failed, capped, dry_run'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_outbound_plans'))
    )
    op.create_table('outbound_writes',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False,
              comment='the same key is the same write'),
    sa.Column('seq', sa.Integer(), nullable=False, comment='order in the plan'),
    sa.Column('writer', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False,
              comment='post_message, update_organization, create_issue, ...'),
    sa.Column('target_ref', sa.String(length=255), nullable=False,
              comment='what is written to: a connection, a record'),
    sa.Column('summary', sa.Text(), nullable=False, comment='the message or change, as a person reads it'),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=False, comment='the payload or the state after the write'),
    sa.Column('status', sa.String(length=16), nullable=False,
              comment='planned, pending, applied, failed, skipped, interrupted, dry_run'),
    sa.Column('reconciled', sa.Boolean(), nullable=False,
              comment='applied found by reading the target back after an interrupted attempt'),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True, comment='what the target answered (ids, job status, URL)'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('plan_id', 'idempotency_key', name=op.f('pk_outbound_writes'))
    )
    op.create_index('ix_outbound_writes_idempotency_key_status', 'outbound_writes',
                    ['idempotency_key', 'status'], unique=False)
    _move_outbound_log()
    op.drop_table('outbound_log')


def _move_outbound_log() -> None:
    """Messages recorded by the old log become applied writes (same keys: not sent again)."""
    conn = op.get_bind()
    old = sa.table('outbound_log', sa.column('dedup_key', sa.String), sa.column('target', sa.String),
                   sa.column('sent_at', sa.DateTime(timezone=True)), sa.column('summary', sa.Text),
                   sa.column('response', sa.JSON))
    rows = conn.execute(sa.select(old).order_by(old.c.sent_at)).mappings().all()
    if not rows:
        return
    plans = sa.table('outbound_plans', *(sa.column(c) for c in (
        'plan_id', 'writer', 'target', 'created_at', 'actor', 'dry_run', 'planned', 'to_apply', 'status',
        'finished_at')))
    writes = sa.table('outbound_writes', sa.column('after', sa.JSON), sa.column('result', sa.JSON),
                      *(sa.column(c) for c in (
                          'plan_id', 'idempotency_key', 'seq', 'writer', 'target', 'action', 'target_ref',
                          'summary', 'status', 'reconciled', 'attempts', 'planned_at', 'started_at',
                          'finished_at')))
    now = dt.datetime.now(dt.UTC)
    conn.execute(plans.insert().values(
        plan_id=LEGACY_PLAN, writer='outbound_log', target='slack', created_at=now,
        actor='migration 0006', dry_run=False, planned=len(rows), to_apply=len(rows), status='applied',
        finished_at=now))
    conn.execute(writes.insert(), [{
        'plan_id': LEGACY_PLAN, 'idempotency_key': r['dedup_key'], 'seq': i, 'writer': 'outbound_log',
        'target': r['target'], 'action': 'post_message', 'target_ref': 'slack_default',
        'summary': r['summary'] or '', 'after': {'text': r['summary'] or ''}, 'status': 'applied',
        'reconciled': False, 'attempts': 1, 'result': r['response'], 'planned_at': r['sent_at'],
        'started_at': r['sent_at'], 'finished_at': r['sent_at'],
    } for i, r in enumerate(rows)])


def downgrade() -> None:
    op.create_table('outbound_log',
    sa.Column('dedup_key', sa.String(length=255), nullable=False, comment='what makes two writes the same write'),
    sa.Column('target', sa.String(length=64), nullable=False, comment='slack, gitlab, zendesk, pagerduty'),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('dedup_key', name=op.f('pk_outbound_log'))
    )
    conn = op.get_bind()
    writes = sa.table('outbound_writes', sa.column('after', sa.JSON), sa.column('result', sa.JSON),
                      *(sa.column(c) for c in ('idempotency_key', 'target', 'summary', 'status', 'finished_at')))
    rows = conn.execute(sa.select(writes).where(writes.c.status == 'applied')).mappings().all()
    seen: dict[str, dict] = {}
    for r in rows:
        seen.setdefault(r['idempotency_key'], {
            'dedup_key': r['idempotency_key'], 'target': r['target'][:64], 'sent_at': r['finished_at'],
            'summary': r['summary'], 'response': r['result']})
    if seen:
        old = sa.table('outbound_log', sa.column('dedup_key'), sa.column('target'), sa.column('sent_at'),
                       sa.column('summary'), sa.column('response', sa.JSON))
        conn.execute(old.insert(), list(seen.values()))
    op.drop_index('ix_outbound_writes_idempotency_key_status', table_name='outbound_writes')
    op.drop_table('outbound_writes')
    op.drop_table('outbound_plans')
