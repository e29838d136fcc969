"""Registers the project's own targets (imported by `targets.get` on first use)."""

from __future__ import annotations

from .gitlab import GitLabTarget
from .pagerduty import PagerDutyEvents
from .salesforce import SalesforceUpsert
from .slack import SlackWebhook
from .targets import register
from .zendesk import ZendeskOrganizations

for _target in (SlackWebhook(), ZendeskOrganizations(), GitLabTarget(), SalesforceUpsert(), PagerDutyEvents()):
    register(_target)
