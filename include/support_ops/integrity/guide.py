"""What each integrity check means to the person who has to act on it: who, and which field.

Salesforce is the system of record for customers: account data is fixed by Sales Systems in
Salesforce; Zendesk organization data is fixed by Support Ops in Zendesk (docs/integrity-rules.md
has the rules themselves).
The field names are the API names an admin searches for in each system.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rules import CHECK_NAMES

SALES_SYSTEMS = "Sales Systems (Salesforce data)"
SUPPORT_OPS = "Support Ops (Zendesk data)"


@dataclass(frozen=True)
class Guide:
    title: str  # a readable name for the check
    why: str  # what is wrong, and what it breaks
    owner: str
    fix: str  # how: the system, the record and the field to change
    source: str  # where the rule comes from, readably


GUIDES: dict[str, Guide] = {
    "missing_zendesk_org_dotcom": Guide(
        "GitLab.com customer without a Zendesk organization",
        "A Salesforce Customer account on GitLab.com has no Zendesk organization linked to it, so its "
        "users' tickets get no support plan, SLA or routing.",
        SUPPORT_OPS,
        "In Zendesk, create the organization (or find the existing one) and set its Salesforce ID field "
        "(salesforce_id) to this account's Id. If the account is not a GitLab.com customer, Sales Systems "
        "corrects GitLab_Deployment__c on the account instead.",
        "crm-check list: missing Zendesk organization (GitLab.com)"),
    "missing_zendesk_org_selfmanaged": Guide(
        "Self-Managed customer without a Zendesk organization",
        "A Salesforce Customer account on Self-Managed has no Zendesk organization linked to it, so its "
        "users' tickets get no support plan, SLA or routing.",
        SUPPORT_OPS,
        "In Zendesk, create the organization (or find the existing one) and set its Salesforce ID field "
        "(salesforce_id) to this account's Id. If the account is not a Self-Managed customer, Sales Systems "
        "corrects GitLab_Deployment__c on the account instead.",
        "crm-check list: missing Zendesk organization (Self-Managed)"),
    "no_support_level": Guide(
        "Organization without a support plan",
        "The Zendesk organization's GitLab plan is empty, so its tickets are not given the plan's SLA.",
        SUPPORT_OPS,
        "In Zendesk, set the organization field GitLab plan (support_level) to the plan on the linked "
        "Salesforce account (Support_Level__c). The GitLab staff organization is expected here.",
        "crm-check list: no support level"),
    "duplicate_salesforce_account": Guide(
        "Duplicate Salesforce accounts",
        "Two or more Customer accounts have the same name (ignoring case and spacing): the sync cannot "
        "tell which one a Zendesk organization belongs to. Blocks the organization sync by default.",
        SALES_SYSTEMS,
        "In Salesforce, merge the duplicate accounts into one, or rename / change the Type of the ones that "
        "are not the customer.",
        "crm-check list: repeated records in Salesforce"),
    "support_level_mismatch": Guide(
        "Plan differs between Zendesk and Salesforce",
        "The organization and its linked account both have a plan and they differ, so tickets get the "
        "wrong SLA.",
        SUPPORT_OPS,
        "In Zendesk, set the organization's GitLab plan (support_level) to the account's Support_Level__c "
        "(Salesforce is the source). If the account's plan is the wrong one, Sales Systems corrects "
        "Support_Level__c instead.",
        "crm-check list: support level mismatch"),
    "no_salesforce_id": Guide(
        "Organization without a Salesforce id",
        "The Zendesk organization is not linked to any Salesforce account, so nothing keeps its plan and "
        "name up to date. The GitLab staff organization is expected here.",
        SUPPORT_OPS,
        "In Zendesk, set the organization field Salesforce ID (salesforce_id) to the customer's account Id "
        "(15 or 18 characters).",
        "crm-check list: no Salesforce id"),
    "org_name_mismatch": Guide(
        "Organization name differs from the account's",
        "The linked organization's name is not its account's name (ignoring case and spacing), which "
        "confuses searches and the sync.",
        SUPPORT_OPS,
        "In Zendesk, rename the organization (name) to the account's Name (Salesforce is the source). If "
        "the account's name is the wrong one, Sales Systems renames the account instead.",
        "crm-check list: organization name mismatch"),
    "invalid_org_domain": Guide(
        "Organization domain that is not a host name",
        "An entry of the organization's domains is not a valid host name, so users from that domain are "
        "not matched to the organization.",
        SUPPORT_OPS,
        "In Zendesk, correct or remove the entry in the organization's Domains (domain_names).",
        "sync condition: domains properly formatted"),
    "zendesk_org_id_mismatch": Guide(
        "Account points to the wrong Zendesk organization id",
        "The account's Zendesk organization id is not the id of the organization linked to it.",
        SALES_SYSTEMS,
        "In Salesforce, set the account's Zendesk_Organization_ID__c to the linked organization's id.",
        "sync condition: Zendesk organization id matches"),
    "zendesk_org_name_mismatch": Guide(
        "Account carries the wrong Zendesk organization name",
        "The account's Zendesk organization name is not the linked organization's name.",
        SALES_SYSTEMS,
        "In Salesforce, set the account's Zendesk_Organization_Name__c to the linked organization's name.",
        "sync condition: Zendesk organization name matches"),
}

assert set(GUIDES) == set(CHECK_NAMES), "every integrity check needs a guide"
