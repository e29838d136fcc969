"""Names of the sandbox's collections: the contract between generator, loader and services.

Keys and orderings: every collection is keyed by the object's API id. `ts` is the
field incremental exports filter on (epoch seconds); `seq` is the numeric id.
"""

# Zendesk
ZD_TICKETS = "zd_tickets"  # ts = generated_timestamp; doc = export shape without metric_set
ZD_TICKET_METRICS = "zd_ticket_metrics"  # key = ticket_id; doc = ticket metric set
ZD_SATISFACTION_RATINGS = "zd_satisfaction_ratings"  # ts = updated_at
ZD_SATISFACTION_REASONS = "zd_satisfaction_reasons"
ZD_ORGANIZATIONS = "zd_organizations"  # ts = updated_at
ZD_USERS = "zd_users"  # ts = updated_at
ZD_TICKET_FORMS = "zd_ticket_forms"
ZD_TICKET_METRIC_EVENTS = "zd_ticket_metric_events"  # ts = time
ZD_SLA_POLICIES = "zd_sla_policies"
ZD_ORGANIZATION_FIELDS = "zd_organization_fields"
ZD_VIEWS = "zd_views"
ZD_JOB_STATUSES = "zd_job_statuses"

# Salesforce: one collection per sObject, "sf_<ApiName>"; key = 18-character Id,
# ts = SystemModstamp; relationship fields nested without `attributes` ({"Owner": {"Name": ...}}).
SF_ACCOUNT = "sf_Account"


def sf_collection(sobject: str) -> str:
    return f"sf_{sobject}"


# PagerDuty
PD_SERVICES = "pd_services"
PD_ESCALATION_POLICIES = "pd_escalation_policies"
PD_SCHEDULES = "pd_schedules"
PD_USERS = "pd_users"
PD_INCIDENTS = "pd_incidents"
PD_EVENTS = "pd_events"

# GitLab
GL_PROJECTS = "gl_projects"
GL_USERS = "gl_users"  # GET /users shape; people a data folder's issues refer to
GL_ISSUES = "gl_issues"  # key = "<project_id>:<iid>"
GL_NOTES = "gl_notes"
GL_COMMITS = "gl_commits"
GL_FILES = "gl_files"  # key = "<project_id>:<ref>:<path>"

# Slack
SLACK_MESSAGES = "slack_messages"

# Directory layout of `SANDBOX_DATA` / `sandbox dump`: file -> collection, in load order
# (a collection comes after those it refers to: ratings after tickets, issues after projects).
DATA_FILES = {
    "zendesk/organizations.json": ZD_ORGANIZATIONS,
    "zendesk/users.json": ZD_USERS,
    "zendesk/ticket_forms.json": ZD_TICKET_FORMS,
    "zendesk/tickets.json": ZD_TICKETS,
    "zendesk/ticket_metrics.json": ZD_TICKET_METRICS,
    "zendesk/satisfaction_reasons.json": ZD_SATISFACTION_REASONS,
    "zendesk/satisfaction_ratings.json": ZD_SATISFACTION_RATINGS,
    "zendesk/ticket_metric_events.json": ZD_TICKET_METRIC_EVENTS,
    "zendesk/sla_policies.json": ZD_SLA_POLICIES,
    "zendesk/organization_fields.json": ZD_ORGANIZATION_FIELDS,
    "zendesk/views.json": ZD_VIEWS,
    "zendesk/job_statuses.json": ZD_JOB_STATUSES,
    "salesforce/Account.json": SF_ACCOUNT,
    "pagerduty/users.json": PD_USERS,
    "pagerduty/schedules.json": PD_SCHEDULES,
    "pagerduty/escalation_policies.json": PD_ESCALATION_POLICIES,
    "pagerduty/services.json": PD_SERVICES,
    "pagerduty/incidents.json": PD_INCIDENTS,
    "pagerduty/events.json": PD_EVENTS,
    "gitlab/projects.json": GL_PROJECTS,
    "gitlab/users.json": GL_USERS,
    "gitlab/issues.json": GL_ISSUES,
    "gitlab/notes.json": GL_NOTES,
    "gitlab/commits.json": GL_COMMITS,
    "gitlab/files.json": GL_FILES,
    "slack/messages.json": SLACK_MESSAGES,
}
# Other Salesforce objects go to salesforce/<ApiName>.json; any other collection a service
# adds is dumped as sandbox/<collection>.json, so a dump always holds every collection.
OTHER_FOLDER = "sandbox"


def data_file(collection: str) -> str:
    """The data-folder file of a collection."""
    for file, coll in DATA_FILES.items():
        if coll == collection:
            return file
    if collection.startswith("sf_"):
        return f"salesforce/{collection[3:]}.json"
    return f"{OTHER_FOLDER}/{collection}.json"


# Store meta key holding what the generator planted: {"defects": {check_name: [entity ids]}, ...}
MANIFEST_KEY = "generator_manifest"
