"""Feedback issues (docs/feedback-issues.md): one GitLab issue per rating, never two.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from ..warehouse.metadata import metadata, ts

feedback_issues = Table(
    "feedback_issues",
    metadata,
    Column("rating_id", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", BigInteger, nullable=True),
    Column("project", String(255), nullable=False, comment="path of the GitLab project"),
    Column("issue_iid", Integer, nullable=False),
    Column("web_url", Text, nullable=True),
    Column("score", String(16), nullable=False, comment="the score the issue is labelled with"),
    Column("reason_key", String(32), nullable=True),
    Column("route", String(32), nullable=True),
    Column("state", String(16), nullable=False, comment="opened or closed, as GitLab last showed it"),
    Column("assignee", String(255), nullable=True, comment="GitLab username assigned at creation"),
    Column("manager", String(255), nullable=True, comment="the reviewing manager on call at creation"),
    Column("found_by", String(16), nullable=False, comment="created, or marker (recovered from GitLab)"),
    ts("issue_created_at", nullable=True),
    ts("issue_updated_at", nullable=True),
    ts("closed_at", nullable=True),
    ts("first_response_at", nullable=True, comment="first note by someone other than the bot"),
    ts("recorded_at", nullable=False),
    ts("synced_at", nullable=False),
)
