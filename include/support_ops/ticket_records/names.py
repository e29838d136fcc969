"""The Salesforce names the checks use (the Zendesk for Salesforce package's objects), each
overridable by a setting for an org whose objects are named otherwise."""

from __future__ import annotations

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def ticket_object() -> str:  # SUPPORT_OPS_SF_TICKET_OBJECT
    return _env("SUPPORT_OPS_SF_TICKET_OBJECT", "Zendesk__Zendesk_Ticket__c")


def comment_object() -> str:  # SUPPORT_OPS_SF_TICKET_COMMENT_OBJECT
    return _env("SUPPORT_OPS_SF_TICKET_COMMENT_OBJECT", "Zendesk__Zendesk_Ticket_Comment__c")


TICKET_ID = "Zendesk__Ticket_ID__c"  # the external id: the Zendesk ticket number
STATUS = "Zendesk__Status__c"
ACCOUNT = "Zendesk__Organization__c"  # lookup to the Account
SUBJECT = "Zendesk__Subject__c"
PROFILE = "System Administrator"
TICKET_FIELDS = (TICKET_ID, STATUS, ACCOUNT, SUBJECT)
